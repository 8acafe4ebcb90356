//! What a call that may change state returns: its answer, and the write
//! the host must make before acting on it (the protocol is in
//! [`guide`](crate::guide#the-write-plan-step)).

#[cfg(doc)]
use crate::{Challenge, throttle::Lockout, throttle::SendLog};

/// A compare-and-swap write: store the updated copy only if the stored
/// revision is still [`expected`](Self::expected), and store
/// [`revision`](Self::revision) beside it.
///
/// The only write a [`Step`] ever asks for. An SQL host writes it as
/// `UPDATE … SET record = ?, revision = <revision> WHERE id = ? AND
/// revision = <expected>` and checks that one row changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Swap {
    expected: u64,
    revision: u64,
}

impl Swap {
    /// The revision the stored copy must still have for the write to land:
    /// the revision of the copy the call was made on.
    pub const fn expected(self) -> u64 {
        self.expected
    }

    /// The copy's revision after the call: store it beside the copy, as
    /// the next call's [`expected`](Self::expected).
    pub const fn revision(self) -> u64 {
        self.revision
    }
}

/// The answer of a call on a copy of stored state ([`Challenge`],
/// [`SendLog`], [`Lockout`]), and what must be written before the answer
/// may be acted on.
///
/// - [`write`](Self::write) is `None`: nothing changed; act on the answer.
/// - It is `Some(swap)`: write the updated copy back **only if** the
///   stored revision is still [`swap.expected()`](Swap::expected). Once
///   that write has landed, act on the answer (tell the user, send the
///   text, compare the code). If it is refused, another host wrote first:
///   throw the copy and this step away, read again and repeat the call.
///
/// The [guide](crate::guide#the-write-plan-step) explains why, and shows
/// that dropping a `Step` unread is a warning.
///
/// ```
/// use mfa_core::throttle::{Admission, SendLog, SendPolicy};
/// use mfa_core::UnixTime;
///
/// let mut log = SendLog::new();
/// let step = log.try_send(&SendPolicy::default(), UnixTime::from_secs(0));
/// assert_eq!(step.write().map(|w| (w.expected(), w.revision())), Some((0, 1)));
/// assert_eq!(*step.answer(), Admission::Allowed); // send once the write landed
///
/// let step = log.try_send(&SendPolicy::default(), UnixTime::from_secs(1));
/// assert_eq!(step.write(), None); // a refusal writes nothing
/// assert_eq!(step.into_answer(), Admission::Wait { secs: 29 });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use = "a `Step` says what to write before its answer may be acted on: \
              write the copy as `write()` says (compare-and-swap), then use `answer()`"]
pub struct Step<A> {
    answer: A,
    write: Option<Swap>,
}

impl<A> Step<A> {
    /// A step whose copy went from revision `before` to `after`; `changed`
    /// says whether anything was changed (a saturated revision may not
    /// show it).
    pub(crate) const fn new(answer: A, changed: bool, before: u64, after: u64) -> Self {
        Step {
            answer,
            write: if changed {
                Some(Swap {
                    expected: before,
                    revision: after,
                })
            } else {
                None
            },
        }
    }

    /// What must be written before the answer may be acted on: `None` for
    /// nothing, else a compare-and-swap.
    pub const fn write(&self) -> Option<Swap> {
        self.write
    }

    /// The call's answer.
    pub const fn answer(&self) -> &A {
        &self.answer
    }

    /// The call's answer, taking the step: for a host that has made (or
    /// has no need of) the write.
    pub fn into_answer(self) -> A {
        self.answer
    }

    /// The answer and the write, apart.
    pub fn into_parts(self) -> (A, Option<Swap>) {
        (self.answer, self.write)
    }
}
