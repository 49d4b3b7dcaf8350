//! The domain entities (campaigns, products, surveys): their own columns, created,
//! changed and deleted with their metadata going through [`crate::sync`].

mod campaign;
mod error;
mod product;
mod record;
mod survey;

pub use campaign::{CampaignChanges, NewCampaign};
pub use error::CatalogError;
pub use product::{NewProduct, ProductChanges};
pub use record::{CatalogEntity, Record, delete, find, find_records, page};
pub use survey::{NewSurvey, SurveyChanges};
