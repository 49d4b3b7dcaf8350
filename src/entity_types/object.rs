//! The GraphQL object of an entity type: the fields every `MetadataEntity` shares plus the
//! entity's own columns, so that each entity type only writes what is its own.

/// `metadata_entity_object!(Type, EntityType::Variant, { own fields… })` implements the
/// object `Type(model)` with `id`, `entityType`, the own fields, `metadata`,
/// `metadataMaster`, `translations`, `translationStatus`, `createdAt` and `updatedAt`.
///
/// Entities may be loaded without their decoded document (it reads as `null`) when the
/// selection does not look inside it (`metadata` answers from the document's text): a
/// field added here that reads `self.0.metadata` must be listed in
/// `ENTITY_DOCUMENT_FIELDS` (`src/graphql/loaders.rs`).
macro_rules! metadata_entity_object {
    ($(#[$doc:meta])* $object:ident, $entity_type:expr, { $($own:tt)* }) => {
        $(#[$doc])*
        #[async_graphql::Object]
        impl $object {
            /// Id of the entity.
            pub(crate) async fn id(&self, _ctx: &async_graphql::Context<'_>) -> uuid::Uuid {
                self.0.id
            }

            /// The kind of entity.
            pub(crate) async fn entity_type(&self, _ctx: &async_graphql::Context<'_>) -> $crate::graphql::EntityTypeName {
                $entity_type.into()
            }

            $($own)*

            /// The entity's metadata document, equal to its master's.
            pub(crate) async fn metadata(&self, _ctx: &async_graphql::Context<'_>) -> $crate::graphql::raw_json::RawJson {
                $crate::graphql::raw_json::RawJson::document(&self.0.metadata, self.0.metadata_text.as_ref())
            }

            /// The canonical master row of this entity's metadata.
            pub(crate) async fn metadata_master(
                &self,
                ctx: &async_graphql::Context<'_>,
            ) -> async_graphql::Result<$crate::graphql::MetadataMaster> {
                $crate::graphql::load_master_for_selection(ctx, self.0.metadata_master_id).await
            }

            /// The translated scripts of one locale (same shape as the scripts), if any.
            pub(crate) async fn translations(
                &self,
                _ctx: &async_graphql::Context<'_>,
                locale: String,
            ) -> Option<async_graphql::Json<serde_json::Value>> {
                $crate::graphql::translations_of(&self.0.metadata, &locale).map(async_graphql::Json)
            }

            /// Per target locale: keys translated, missing and failed, and the provider.
            pub(crate) async fn translation_status(
                &self,
                _ctx: &async_graphql::Context<'_>,
            ) -> Vec<$crate::graphql::TranslationStatus> {
                $crate::graphql::status_of(&self.0.metadata)
            }

            /// When the entity was created.
            async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
                self.0.created_at
            }

            /// When the entity last changed.
            async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
                self.0.updated_at
            }
        }
    };
}

pub(crate) use metadata_entity_object;
