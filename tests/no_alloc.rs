//! Issuing, rendering and verifying never touch the heap: a counting
//! global allocator sees zero allocations across the whole flow.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use mfa_core::sms::segments;
use mfa_core::{Challenge, Channel, Request, UnixTime};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

struct Counting;

thread_local! {
    // Per thread, so tests running in parallel do not see each other.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: forwards every call to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[path = "common/buf.rs"]
mod buf;
use buf::Buf;

#[test]
fn the_whole_flow_allocates_nothing() {
    // Everything the flow needs is built before counting starts.
    let message = "Here is your code: ";
    let long = "ж".repeat(100);
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let t0 = UnixTime::from_secs(1_700_000_000);
    let mut buf = Buf::new();

    let before = allocations();
    let mut total_ok = 0;
    for call in [false, true] {
        let req = Request {
            from: Some("+15554433222"),
            message: Some(message),
            allow_alphas: Some(call),
            token_length: Some(8),
            ..Request::new(
                if call { Channel::Call } else { Channel::Sms },
                "+15557788999",
            )
        };
        let params = req.validate().unwrap();
        let bad = Request {
            to: Some("nope"),
            token_length: Some(99),
            ..req
        }
        .validate();
        assert!(bad.is_err());
        let (mut c, d) = Challenge::issue(&params, &mut rng, t0).unwrap();
        buf.len = 0;
        d.write_text(&mut buf).unwrap();
        let _ = (d.segments(), d.chars());
        let wrong = c.verify("0000-0000", t0);
        assert!(!wrong.is_verified());
        let d2 = c.resend(Channel::Call, None, t0).unwrap();
        buf.len = 0;
        d2.write_text(&mut buf).unwrap();
        assert!(c.resend(Channel::Sms, Some(&long), t0).is_err());
        let mut copy = [0u8; 20];
        let n = c.parts().token.len();
        copy[..n].copy_from_slice(c.parts().token.expose_secret().as_bytes());
        if c.verify(core::str::from_utf8(&copy[..n]).unwrap(), t0)
            .is_verified()
        {
            total_ok += 1;
        }
        let _ = c.state_at(t0);
        let _ = segments(&long);
        let _ = c.parts().id.encode();
        let _ = mfa_core::Challenge::from_parts(c.parts().clone()).unwrap();
    }
    let after = allocations();
    assert_eq!(total_ok, 2);
    assert_eq!(
        after - before,
        0,
        "the flow allocated {} times",
        after - before
    );
}

#[test]
fn templates_allocate_nothing() {
    // SPEC §4.10: reading, checking, rendering and measuring a template.
    let template = "Code {code}. {{Again}}: {code}";
    let broken = "Code {Code}";
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    let t0 = UnixTime::from_secs(1_700_000_000);
    let mut buf = Buf::new();

    let before = allocations();
    for call in [false, true] {
        let channel = if call { Channel::Call } else { Channel::Sms };
        let req = Request {
            from: Some("+15554433222"),
            message: Some(template),
            ..Request::new(channel, "+15557788999")
        };
        let params = req.validate().unwrap();
        let bad = Request {
            message: Some(broken),
            ..req
        };
        assert!(bad.validate().is_err());
        assert_eq!(mfa_core::check_template(template), Ok(2));
        let (mut c, d) = Challenge::issue(&params, &mut rng, t0).unwrap();
        buf.len = 0;
        d.write_text(&mut buf).unwrap();
        let _ = (d.segments(), d.chars());
        let other = if call { Channel::Sms } else { Channel::Call };
        let d2 = c.resend(other, Some("{code} is your code"), t0).unwrap();
        buf.len = 0;
        d2.write_text(&mut buf).unwrap();
        assert!(c.resend(other, Some(broken), t0).is_err());
    }
    let after = allocations();
    assert_eq!(
        after - before,
        0,
        "templates allocated {} times",
        after - before
    );
}

#[test]
fn the_counter_sees_an_allocation() {
    // Control: the counter itself works.
    let before = allocations();
    let v = std::hint::black_box(vec![1u8; 32]);
    let after = allocations();
    drop(v);
    assert!(after > before);
}
