//! Vouchers: a code, a discount in percent and an optional end of validity.

use async_graphql::MaybeUndefined;
use chrono::{DateTime, Utc};
use entity::voucher;
use sea_orm::Set;

use super::declare::entity_type;
use crate::catalog::{CatalogError, OwnColumns, require_text};

entity_type! {
    /// A discount voucher (`service_voucher_main`).
    Voucher {
        name: "voucher",
        plural: "Vouchers",
        table: "service_voucher_main",
        model: voucher,
        query: voucher,
        list: vouchers,
        resolver: find_voucher_by_id,
        create: create_voucher,
        update: update_voucher,
        delete: delete_voucher,
    }
    fields {
        /// The code customers enter, unique across vouchers.
        async fn code(&self) -> &str {
            &self.0.code
        }

        /// The discount in percent (1 to 100).
        async fn discount_percent(&self) -> i32 {
            self.0.discount_percent
        }

        /// The last moment the voucher can be used; null when it does not expire.
        async fn valid_until(&self) -> Option<DateTime<Utc>> {
            self.0.valid_until
        }
    }
    /// A new voucher.
    create CreateVoucherInput {
        /// The code customers enter (not blank, unique).
        code: String,
        /// The discount in percent, 1 to 100.
        discount_percent: i32,
        /// The last moment the voucher can be used; omitted when it does not expire.
        valid_until: Option<DateTime<Utc>>,
    }
    /// Changes to a voucher; omitted fields stay as they are.
    update UpdateVoucherInput {
        /// New code (not blank, unique).
        code: Option<String>,
        /// New discount in percent, 1 to 100.
        discount_percent: Option<i32>,
        /// New end of validity; `null` makes the voucher never expire.
        valid_until: MaybeUndefined<DateTime<Utc>>,
    }
}

fn require_percent(percent: i32) -> Result<(), CatalogError> {
    if (1..=100).contains(&percent) {
        Ok(())
    } else {
        Err(CatalogError::InvalidInput(format!(
            "discountPercent must be between 1 and 100, not {percent}"
        )))
    }
}

impl OwnColumns for voucher::Entity {
    type Create = CreateVoucherInput;
    type Update = UpdateVoucherInput;

    fn new_row(input: &Self::Create) -> Result<voucher::ActiveModel, CatalogError> {
        require_text("code", &input.code)?;
        require_percent(input.discount_percent)?;
        Ok(voucher::ActiveModel {
            code: Set(input.code.clone()),
            discount_percent: Set(input.discount_percent),
            valid_until: Set(input.valid_until),
            ..Default::default()
        })
    }

    fn apply_changes(
        input: &Self::Update,
        row: &mut voucher::ActiveModel,
    ) -> Result<(), CatalogError> {
        if let Some(code) = &input.code {
            require_text("code", code)?;
            row.code = Set(code.clone());
        }
        if let Some(percent) = input.discount_percent {
            require_percent(percent)?;
            row.discount_percent = Set(percent);
        }
        match &input.valid_until {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => row.valid_until = Set(None),
            MaybeUndefined::Value(until) => row.valid_until = Set(Some(*until)),
        }
        Ok(())
    }
}
