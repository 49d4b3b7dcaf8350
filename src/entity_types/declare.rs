//! The two macros behind the registry: `entity_registry!` lists the entity types once, and
//! `entity_type!` declares one of them. Everything per type — the `EntityType` variant and
//! its stored name and table, the catalog record, the GraphQL object with the shared
//! `MetadataEntity` fields, its queries, mutations and federation entity resolver — comes
//! from these two, so a new type cannot be half registered.

/// Declares one entity type in its own module. See `voucher.rs` for a complete example.
///
/// ```ignore
/// entity_type! {
///     /// A discount voucher (`service_voucher_main`).
///     Voucher {
///         name: "voucher", plural: "Vouchers", table: "service_voucher_main", model: voucher,
///         query: voucher, list: vouchers, resolver: find_voucher_by_id,
///         create: create_voucher, update: update_voucher, delete: delete_voucher,
///     }
///     fields { /* the GraphQL fields of the type's own columns */ }
///     /// A new voucher.
///     create CreateVoucherInput { /* own input fields; `metadata` is added */ }
///     /// Changes to a voucher; omitted fields stay as they are.
///     update UpdateVoucherInput { /* own input fields; `metadata` is added */ }
/// }
/// ```
///
/// The module then implements [`crate::catalog::OwnColumns`] for the SeaORM entity: how
/// the inputs are validated and set the type's own columns.
macro_rules! entity_type {
    (
        $(#[$doc:meta])*
        $Type:ident {
            name: $name:literal,
            plural: $plural:literal,
            table: $table:literal,
            model: $model:ident,
            query: $one:ident,
            list: $many:ident,
            resolver: $resolver:ident,
            create: $create:ident,
            update: $update:ident,
            delete: $delete:ident $(,)?
        }
        fields { $($fields:tt)* }
        $(#[$create_doc:meta])*
        create $CreateInput:ident {
            $( $(#[$create_field_doc:meta])* $create_field:ident : $create_ty:ty ),* $(,)?
        }
        $(#[$update_doc:meta])*
        update $UpdateInput:ident {
            $( $(#[$update_field_doc:meta])* $update_field:ident : $update_ty:ty ),* $(,)?
        }
    ) => {
        /// The value stored in `_metadata_master.entity_type`.
        pub const NAME: &str = $name;
        /// The entity's table (the allow-list of dynamic SQL).
        pub const TABLE: &str = $table;
        /// The SeaORM model of the table.
        pub type Model = entity::$model::Model;
        /// The registry's description of this type.
        pub(super) const INFO: $crate::entity_types::TypeInfo = $crate::entity_types::TypeInfo::compiled(
            NAME, TABLE, $crate::entity_types::Compiled::$Type,
        );

        $(#[$doc])*
        pub struct $Type(pub Model);

        $(#[$create_doc])*
        #[derive(async_graphql::InputObject)]
        pub struct $CreateInput {
            $( $(#[$create_field_doc])* pub $create_field: $create_ty, )*
            /// Initial metadata (a JSON object); `{}` when omitted.
            pub metadata: Option<async_graphql::Json<serde_json::Value>>,
        }

        $(#[$update_doc])*
        #[derive(async_graphql::InputObject)]
        pub struct $UpdateInput {
            $( $(#[$update_field_doc])* pub $update_field: $update_ty, )*
            /// Replacement metadata document (a JSON object; the cross reference is kept).
            pub metadata: Option<async_graphql::Json<serde_json::Value>>,
        }

        impl $crate::catalog::CatalogEntity for entity::$model::Entity {
            const TYPE: $crate::entity_types::EntityType = $crate::entity_types::EntityType::$Type;

            fn with_shared_columns(
                mut row: entity::$model::ActiveModel,
                shared: $crate::catalog::NewRow,
            ) -> entity::$model::ActiveModel {
                use sea_orm::Set;
                row.id = Set(shared.id);
                row.metadata = Set(shared.metadata);
                row.metadata_master_id = Set(shared.master_id);
                row.created_at = Set(shared.now);
                row.updated_at = Set(shared.now);
                row
            }

            fn id_column() -> Self::Column {
                entity::$model::Column::Id
            }

            fn id_of(model: &Self::Model) -> uuid::Uuid {
                model.id
            }

            fn into_record(model: Self::Model) -> $crate::entity_types::Record {
                $crate::entity_types::Record::$Type(model)
            }
        }

        $crate::entity_types::object::metadata_entity_object!(
            $(#[$doc])*
            $Type,
            $crate::entity_types::EntityType::$Type,
            { $($fields)* }
        );

        /// The queries of this entity type (merged into `Query`).
        #[derive(Default)]
        pub struct Queries;

        impl async_graphql::TypeName for Queries {
            fn type_name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(concat!($name, "_queries"))
            }
        }

        #[async_graphql::Object(name_type)]
        impl Queries {
            #[doc = concat!("The ", $name, " with this id, or null.")]
            #[graphql(guard = "crate::auth::ScopeGuard(crate::auth::Scope::Read)")]
            async fn $one(
                &self,
                ctx: &async_graphql::Context<'_>,
                id: uuid::Uuid,
            ) -> async_graphql::Result<Option<$Type>> {
                self.$resolver(ctx, id).await
            }

            #[doc = concat!($plural, ", optionally filtered by their metadata, a page at a time (`first` at most 100, default 20; creation order by default).")]
            #[graphql(guard = "crate::auth::ScopeGuard(crate::auth::Scope::Read)")]
            async fn $many(
                &self,
                ctx: &async_graphql::Context<'_>,
                filter: Option<$crate::graphql::MetadataFilter>,
                order_by: Option<$crate::graphql::MetadataOrder>,
                first: Option<i32>,
                after: Option<String>,
            ) -> async_graphql::Result<
                async_graphql::connection::Connection<$crate::graphql::PageCursor, $Type>,
            > {
                $crate::graphql::entity_page::<entity::$model::Entity, _>(
                    ctx, filter, order_by, first, after, $Type,
                )
                .await
            }

            #[graphql(entity, guard = "crate::auth::ScopeGuard(crate::auth::Scope::Read)")]
            async fn $resolver(
                &self,
                ctx: &async_graphql::Context<'_>,
                id: uuid::Uuid,
            ) -> async_graphql::Result<Option<$Type>> {
                Ok(
                    match $crate::graphql::load_record_for_selection(ctx, $crate::entity_types::EntityType::$Type, id)
                        .await?
                    {
                        Some($crate::entity_types::Record::$Type(model)) => Some($Type(model)),
                        _ => None,
                    },
                )
            }
        }

        /// The mutations of this entity type (merged into `Mutation`).
        #[derive(Default)]
        pub struct Mutations;

        impl async_graphql::TypeName for Mutations {
            fn type_name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(concat!($name, "_mutations"))
            }
        }

        #[async_graphql::Object(name_type)]
        impl Mutations {
            #[doc = concat!("Creates a ", $name, " and its master row.")]
            #[graphql(guard = "crate::auth::ScopeGuard(crate::auth::Scope::Write)")]
            async fn $create(
                &self,
                ctx: &async_graphql::Context<'_>,
                input: $CreateInput,
            ) -> async_graphql::Result<$Type> {
                let metadata = input.metadata.as_ref().map(|json| json.0.clone());
                $crate::graphql::create_entity::<entity::$model::Entity>(ctx, input, metadata)
                    .await
                    .map($Type)
            }

            #[doc = concat!("Changes a ", $name, "'s columns and/or replaces its metadata.")]
            #[graphql(guard = "crate::auth::ScopeGuard(crate::auth::Scope::Write)")]
            async fn $update(
                &self,
                ctx: &async_graphql::Context<'_>,
                id: uuid::Uuid,
                input: $UpdateInput,
            ) -> async_graphql::Result<$Type> {
                let metadata = input.metadata.as_ref().map(|json| json.0.clone());
                $crate::graphql::update_entity::<entity::$model::Entity>(ctx, id, input, metadata)
                    .await
                    .map($Type)
            }

            #[doc = concat!("Deletes a ", $name, " and its master row; returns the deleted id.")]
            #[graphql(guard = "crate::auth::ScopeGuard(crate::auth::Scope::Write)")]
            async fn $delete(
                &self,
                ctx: &async_graphql::Context<'_>,
                id: uuid::Uuid,
            ) -> async_graphql::Result<uuid::Uuid> {
                $crate::graphql::delete_entity::<entity::$model::Entity>(ctx, id).await
            }
        }
    };
}

/// Lists every entity type once (`Variant => module`, each module declared with
/// [`entity_type!`]) and derives what needs all of them: the `Compiled` enum and the
/// `EntityType` constants, the `Record` of any type, `find_records`, the `MetadataEntity` interface and
/// the merged queries and mutations.
macro_rules! entity_registry {
    ($( $(#[$doc:meta])* $Type:ident => $module:ident ),+ $(,)?) => {
        $( mod $module; )+

        $( pub use $module::$Type; )+

        /// The compiled entity types (the ones with their own GraphQL object).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Compiled {
            $( $(#[$doc])* $Type, )+
        }

        #[allow(non_upper_case_globals)]
        impl EntityType {
            $(
                $(#[$doc])*
                pub const $Type: EntityType = EntityType::of(&$module::INFO);
            )+

            /// Every compiled entity type (attached ones too: [`registry::all`]).
            pub const ALL: &'static [EntityType] = &[$( EntityType::$Type ),+];
        }

        /// A row of any entity type.
        #[derive(Clone, Debug)]
        pub enum Record {
            $( $Type($module::Model), )+
            /// A row of a table attached at run time.
            Attached($crate::catalog::AttachedRow),
        }

        impl Record {
            pub fn entity_type(&self) -> EntityType {
                match self {
                    $( Record::$Type(_) => EntityType::$Type, )+
                    Record::Attached(row) => row.entity_type,
                }
            }

            pub fn id(&self) -> uuid::Uuid {
                match self {
                    $( Record::$Type(model) => model.id, )+
                    Record::Attached(row) => row.id,
                }
            }

            pub fn metadata(&self) -> &serde_json::Value {
                match self {
                    $( Record::$Type(model) => &model.metadata, )+
                    Record::Attached(row) => &row.metadata,
                }
            }

            pub fn metadata_master_id(&self) -> uuid::Uuid {
                match self {
                    $( Record::$Type(model) => model.metadata_master_id, )+
                    Record::Attached(row) => row.metadata_master_id,
                }
            }
        }

        /// Rows of one entity type by id with their master rows, in one statement.
        pub async fn find_records_with_masters(
            db: &impl sea_orm::ConnectionTrait,
            entity_type: EntityType,
            ids: Vec<uuid::Uuid>,
            documents: $crate::catalog::Documents,
            master_documents: $crate::catalog::Documents,
        ) -> Result<Vec<$crate::catalog::RecordWithMaster>, $crate::catalog::CatalogError> {
            match entity_type.compiled() {
                $( Some(Compiled::$Type) => {
                    $crate::catalog::find_many_with_masters::<<$module::Model as sea_orm::ModelTrait>::Entity>(
                        db, ids, documents, master_documents,
                    ).await
                } )+
                None => $crate::catalog::find_attached_with_masters(db, entity_type, ids).await,
            }
        }

        /// Rows of one entity type by id, in one statement.
        pub async fn find_records(
            db: &impl sea_orm::ConnectionTrait,
            entity_type: EntityType,
            ids: Vec<uuid::Uuid>,
            documents: $crate::catalog::Documents,
        ) -> Result<Vec<Record>, $crate::catalog::CatalogError> {
            match entity_type.compiled() {
                $( Some(Compiled::$Type) => {
                    $crate::catalog::find_many::<<$module::Model as sea_orm::ModelTrait>::Entity>(db, ids, documents).await
                } )+
                None => $crate::catalog::find_attached(db, entity_type, ids).await,
            }
        }

        /// A domain entity whose `metadata` is kept in two-way sync with a `MetadataMaster`.
        #[derive(async_graphql::Interface)]
        #[graphql(
            field(name = "id", ty = "uuid::Uuid", desc = "Id of the entity."),
            field(name = "entity_type", ty = "crate::graphql::EntityTypeName", desc = "The kind of entity."),
            field(
                name = "metadata",
                ty = "crate::graphql::raw_json::RawJson",
                desc = "The entity's metadata document, equal to its master's."
            ),
            field(
                name = "metadata_master",
                ty = "crate::graphql::MetadataMaster",
                desc = "The canonical master row of this entity's metadata."
            ),
            field(
                name = "translations",
                ty = "Option<async_graphql::Json<serde_json::Value>>",
                desc = "The translated scripts of one locale (same shape as the scripts), if any.",
                arg(name = "locale", ty = "String")
            ),
            field(
                name = "translation_status",
                ty = "Vec<crate::graphql::TranslationStatus>",
                desc = "Per target locale: keys translated, missing and failed, and the provider."
            )
        )]
        pub enum MetadataEntity {
            $( $Type($Type), )+
            Attached($crate::graphql::AttachedEntity),
        }

        impl From<Record> for MetadataEntity {
            fn from(record: Record) -> Self {
                match record {
                    $( Record::$Type(model) => MetadataEntity::$Type($Type(model)), )+
                    Record::Attached(row) => MetadataEntity::Attached($crate::graphql::AttachedEntity(row)),
                }
            }
        }

        /// The queries of every entity type.
        #[derive(async_graphql::MergedObject, Default)]
        pub struct EntityQueries($( $module::Queries ),+);

        /// The mutations of every entity type.
        #[derive(async_graphql::MergedObject, Default)]
        pub struct EntityMutations($( $module::Mutations ),+);
    };
}

pub(crate) use {entity_registry, entity_type};
