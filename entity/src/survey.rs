//! `service_survey_main`: customer surveys.

use sea_orm::entity::prelude::*;

crate::metadata_entity_model!("service_survey_main" {
    pub title: String,
});
