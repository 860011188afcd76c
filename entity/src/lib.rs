//! sea-orm entities: one module per table of the initial migration. These are
//! storage types only; the API has its own types so that a column change
//! cannot silently change what clients see.

// The relations of a table, written once: most have none, five have one
// foreign key that a query joins along (`find_also_related`). Defined before
// the modules so that each can use them.

/// A table no query joins from.
macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    };
}

/// A table whose `$column` points at one row of `$target`, joined as
/// `Relation::$name`.
macro_rules! belongs_to {
    ($name:ident => $target:ident by $column:ident) => {
        #[derive(Copy, Clone, Debug, EnumIter)]
        pub enum Relation {
            $name,
        }

        impl RelationTrait for Relation {
            fn def(&self) -> RelationDef {
                match self {
                    Self::$name => Entity::belongs_to(super::$target::Entity)
                        .from(Column::$column)
                        .to(super::$target::Column::Id)
                        .into(),
                }
            }
        }

        impl Related<super::$target::Entity> for Entity {
            fn to() -> RelationDef {
                Relation::$name.def()
            }
        }

        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod enums;

pub mod account_token;
pub mod assignment;
pub mod audit_entry;
pub mod domain_event;
pub mod event;
pub mod event_series;
pub mod event_series_exception;
pub mod feed_token;
pub mod group;
pub mod journal_cursor;
pub mod letter;
pub mod letter_block;
pub mod letter_group;
pub mod membership;
pub mod notification_setting;
pub mod outbox_message;
pub mod request;
pub mod request_transition;
pub mod request_window;
pub mod rsvp;
pub mod signature;
pub mod topic;
pub mod trainer_profile;
pub mod trainer_region;
pub mod trainer_topic;
pub mod trainer_unavailability;
pub mod user;
pub mod web_session;

pub use enums::*;
