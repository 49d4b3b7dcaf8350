//! The `EntityType` scalar: the name of an entity type, compiled or attached at run time.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use async_graphql::{
    Context, InputValueError, InputValueResult, Result, Scalar, ScalarType, Value,
};

use crate::entity_types::{EntityType, is_valid_name, registry};
use crate::graphql::ErrorCode;

/// The kind of entity whose metadata is mirrored in `_metadata_master`: `CAMPAIGN`,
/// `PRODUCT`, `SURVEY`, `VOUCHER`, or a table attached at run time (`ORDER` for one
/// attached as `order`). Written as an enum value or a string, in any case; answered in
/// upper case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntityTypeName(String);

impl EntityTypeName {
    /// The stored (lower-case) name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name stored in a row (`_metadata_master`, events, violations): registered when
    /// it was written, so shown as it is.
    pub fn stored(name: &str) -> Self {
        EntityTypeName(name.to_owned())
    }

    /// The registered type of this name; an unknown name is `BAD_USER_INPUT`. Compiled
    /// names need no read; attached ones are read once per request ([`EntityTypeLoader`]).
    pub async fn resolve(&self, ctx: &Context<'_>) -> Result<EntityType> {
        if let Ok(compiled) = self.0.parse::<EntityType>() {
            return Ok(compiled);
        }
        ctx.data_unchecked::<DataLoader<EntityTypeLoader, HashMapCache>>()
            .load_one(self.0.clone())
            .await
            .map_err(|error| crate::graphql::error::internal(&error))?
            .ok_or_else(|| {
                ErrorCode::BadUserInput
                    .error(format!("unknown entity type {}", self.0.to_uppercase()))
            })
    }
}

/// Attached entity types by name for one request: one read of the registry however many
/// masters of a page name them (compiled names never reach it).
pub struct EntityTypeLoader(pub crate::db::Autocommit);

impl Loader<String> for EntityTypeLoader {
    type Value = EntityType;
    type Error = Arc<crate::sync::SyncError>;

    async fn load(&self, names: &[String]) -> Result<HashMap<String, EntityType>, Self::Error> {
        Ok(registry::all(&self.0)
            .await?
            .into_iter()
            .filter(|t| names.iter().any(|name| name == t.as_str()))
            .map(|t| (t.as_str().to_owned(), t))
            .collect())
    }
}

/// [`EntityTypeName::resolve`] of an optional argument.
pub async fn resolve_optional(
    ctx: &Context<'_>,
    name: Option<EntityTypeName>,
) -> Result<Option<EntityType>> {
    match name {
        Some(name) => name.resolve(ctx).await.map(Some),
        None => Ok(None),
    }
}

impl From<EntityType> for EntityTypeName {
    fn from(entity_type: EntityType) -> Self {
        EntityTypeName(entity_type.as_str().to_owned())
    }
}

fn name_of(value: &Value) -> Option<String> {
    let text = match value {
        Value::Enum(name) => name.as_str(),
        Value::String(text) => text.as_str(),
        _ => return None,
    };
    let name = text.to_ascii_lowercase();
    is_valid_name(&name).then_some(name)
}

/// The kind of entity whose metadata is mirrored in `_metadata_master`: `CAMPAIGN`,
/// `PRODUCT`, `SURVEY`, `VOUCHER`, or a table attached at run time (`ORDER` for one
/// attached as `order`). Written as an enum value or a string, in any case; answered in
/// upper case.
#[Scalar(name = "EntityType")]
impl ScalarType for EntityTypeName {
    fn parse(value: Value) -> InputValueResult<Self> {
        name_of(&value).map(EntityTypeName).ok_or_else(|| {
            InputValueError::custom("an entity type is a name such as CAMPAIGN or ORDER")
        })
    }

    fn is_valid(value: &Value) -> bool {
        name_of(value).is_some()
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_ascii_uppercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_enum_literals_and_strings_in_any_case() {
        let name = |v| EntityTypeName::parse(v).map(|n| n.0).ok();
        assert_eq!(
            name(Value::Enum(async_graphql::Name::new("CAMPAIGN"))),
            Some("campaign".into())
        );
        assert_eq!(
            name(Value::String("service_order".into())),
            Some("service_order".into())
        );
        assert_eq!(name(Value::String("ORDER".into())), Some("order".into()));
        assert_eq!(name(Value::String("x; drop".into())), None);
        assert_eq!(name(Value::Number(1.into())), None);
        assert_eq!(
            EntityTypeName::from(EntityType::Campaign).to_value(),
            Value::String("CAMPAIGN".into())
        );
    }
}
