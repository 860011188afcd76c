//! The request workflow of DESIGN.md as a pure state machine:
//!
//! ```text
//! SUBMITTED --assign--> ASSIGNED --trainer accepts--> CONFIRMED --> DELIVERED
//!     |  ^                  |                              |
//!     |  +--trainer declines+                              +--> CANCELLED
//!     +--> DECLINED (coordinator, with reason)
//! any state before DELIVERED --requester--> WITHDRAWN
//! ```
//!
//! [`next_state`] decides a step from the request's state and the actor's
//! relation to it, and nothing else: no database, no clock. The operations
//! that carry a step out (with the version check and the history row in one
//! transaction) call it first, so the rules live here once and are tested
//! as a table over every combination.

use entity::RequestState;

use crate::error::{Error, Result};

/// How the person taking a step relates to the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A coordinator or admin.
    Coordinator,
    /// Whoever asked: the submitter, or an organiser of the requesting group.
    Requester,
    /// The trainer of the request's current assignment.
    AssignedTrainer,
    /// Anyone else.
    Other,
}

/// A step of the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Assign,
    Accept,
    TrainerDecline,
    Decline,
    Withdraw,
    MarkDelivered,
    Cancel,
}

impl Step {
    pub const ALL: [Step; 7] = [
        Step::Assign,
        Step::Accept,
        Step::TrainerDecline,
        Step::Decline,
        Step::Withdraw,
        Step::MarkDelivered,
        Step::Cancel,
    ];

    /// Who may take this step at all, whatever the state.
    fn allowed_for(self, actor: Actor) -> bool {
        use Actor::*;
        match self {
            Step::Assign | Step::Decline | Step::Cancel => actor == Coordinator,
            Step::Accept | Step::TrainerDecline => actor == AssignedTrainer,
            // Coordinators withdraw for requesters who asked by email or
            // phone, or who submitted without an account.
            Step::Withdraw => matches!(actor, Requester | Coordinator),
            Step::MarkDelivered => matches!(actor, Coordinator | AssignedTrainer),
        }
    }
}

/// The relation under which someone who holds several (a coordinator who
/// also submitted the request, say) takes `step`: the first one the step
/// admits, or [`Actor::Other`].
pub fn acting_as(step: Step, relations: &[Actor]) -> Actor {
    relations
        .iter()
        .copied()
        .find(|actor| step.allowed_for(*actor))
        .unwrap_or(Actor::Other)
}

/// `FORBIDDEN` when the actor may never take the step, whatever the state.
/// Checked before the version, so that who may not act learns nothing more.
pub fn check_actor(step: Step, actor: Actor) -> Result<()> {
    if step.allowed_for(actor) {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// The state a step leads to. `FORBIDDEN` when the actor may never take
/// the step; `INVALID_TRANSITION` when the request's state does not allow it.
pub fn next_state(state: RequestState, step: Step, actor: Actor) -> Result<RequestState> {
    use RequestState::*;
    check_actor(step, actor)?;
    let next = match (state, step) {
        (Submitted, Step::Assign) => Some(Assigned),
        (Submitted, Step::Decline) => Some(Declined),
        (Assigned, Step::Accept) => Some(Confirmed),
        (Assigned, Step::TrainerDecline) => Some(Submitted),
        (Submitted | Assigned | Confirmed, Step::Withdraw) => Some(Withdrawn),
        (Confirmed, Step::MarkDelivered) => Some(Delivered),
        (Confirmed, Step::Cancel) => Some(Cancelled),
        (Submitted, Step::Accept | Step::TrainerDecline | Step::MarkDelivered | Step::Cancel)
        | (Assigned, Step::Assign | Step::Decline | Step::MarkDelivered | Step::Cancel)
        | (Confirmed, Step::Assign | Step::Accept | Step::TrainerDecline | Step::Decline)
        | (Delivered | Declined | Withdrawn | Cancelled, _) => None,
    };
    next.ok_or_else(|| {
        Error::InvalidTransition(format!(
            "a {} request cannot {}",
            state.as_str().to_lowercase(),
            describe(step)
        ))
    })
}

fn describe(step: Step) -> &'static str {
    match step {
        Step::Assign => "be assigned",
        Step::Accept => "be accepted",
        Step::TrainerDecline => "be turned down by a trainer",
        Step::Decline => "be declined",
        Step::Withdraw => "be withdrawn",
        Step::MarkDelivered => "be marked delivered",
        Step::Cancel => "be cancelled",
    }
}

/// The states in which a request has ended (its contact details then
/// start the retention clock).
pub const ENDED: [RequestState; 4] = [
    RequestState::Delivered,
    RequestState::Declined,
    RequestState::Withdrawn,
    RequestState::Cancelled,
];

/// Whether a request has ended.
pub fn has_ended(state: RequestState) -> bool {
    ENDED.contains(&state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    const ACTORS: [Actor; 4] = [
        Actor::Coordinator,
        Actor::Requester,
        Actor::AssignedTrainer,
        Actor::Other,
    ];

    /// Every allowed transition of DESIGN.md, and nothing else.
    fn allowed(state: RequestState, step: Step, actor: Actor) -> Option<RequestState> {
        use Actor::*;
        use RequestState::*;
        match (state, step, actor) {
            (Submitted, Step::Assign, Coordinator) => Some(Assigned),
            (Submitted, Step::Decline, Coordinator) => Some(Declined),
            (Assigned, Step::Accept, AssignedTrainer) => Some(Confirmed),
            (Assigned, Step::TrainerDecline, AssignedTrainer) => Some(Submitted),
            (Submitted | Assigned | Confirmed, Step::Withdraw, Requester | Coordinator) => Some(Withdrawn),
            (Confirmed, Step::MarkDelivered, Coordinator | AssignedTrainer) => Some(Delivered),
            (Confirmed, Step::Cancel, Coordinator) => Some(Cancelled),
            _ => None,
        }
    }

    #[test]
    fn every_state_step_and_actor() {
        let mut allowed_count = 0;
        for state in RequestState::iter() {
            for step in Step::ALL {
                for actor in ACTORS {
                    let got = next_state(state, step, actor);
                    match allowed(state, step, actor) {
                        Some(next) => {
                            allowed_count += 1;
                            assert_eq!(got.ok(), Some(next), "{state:?} {step:?} {actor:?}");
                        }
                        None => {
                            let code = got.expect_err("refused").code();
                            let expected = if step.allowed_for(actor) {
                                "INVALID_TRANSITION"
                            } else {
                                "FORBIDDEN"
                            };
                            assert_eq!(code, expected, "{state:?} {step:?} {actor:?}");
                        }
                    }
                }
            }
        }
        assert_eq!(
            allowed_count, 13,
            "the diagram's transitions, counted per permitted actor"
        );
    }

    #[test]
    fn ended_states_are_the_last_ones() {
        for state in RequestState::iter() {
            let terminal = Step::ALL
                .iter()
                .all(|step| ACTORS.iter().all(|actor| next_state(state, *step, *actor).is_err()));
            assert_eq!(has_ended(state), terminal, "{state:?}");
        }
    }

    #[test]
    fn several_relations_act_under_the_one_the_step_admits() {
        let both = [Actor::Coordinator, Actor::Requester];
        assert_eq!(acting_as(Step::Assign, &both), Actor::Coordinator);
        assert_eq!(acting_as(Step::Withdraw, &[Actor::Requester]), Actor::Requester);
        assert_eq!(acting_as(Step::Accept, &both), Actor::Other);
        assert_eq!(acting_as(Step::Cancel, &[]), Actor::Other);
    }

    #[test]
    fn refusals_say_what_was_asked() {
        let err = next_state(RequestState::Delivered, Step::Withdraw, Actor::Requester).unwrap_err();
        assert_eq!(err.to_string(), "a delivered request cannot be withdrawn");
    }
}
