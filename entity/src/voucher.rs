//! `service_voucher_main`: discount vouchers.

use sea_orm::entity::prelude::*;

crate::metadata_entity_model!("service_voucher_main" {
    #[sea_orm(unique)]
    pub code: String,
    pub discount_percent: i32,
    pub valid_until: Option<DateTimeUtc>,
});
