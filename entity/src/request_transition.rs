use crate::enums::RequestState;
use sea_orm::entity::prelude::*;

/// One step of a request's history; `from_state` is `None` for submission.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_transitions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub request_id: Uuid,
    pub from_state: Option<RequestState>,
    pub to_state: RequestState,
    pub actor_id: Option<Uuid>,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
}

no_relations!();
