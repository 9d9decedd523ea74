//! What `zmq_has` reports: the transports, mechanisms and APIs this build really provides. A name
//! is listed only once the feature behind it works end to end, so bindings that probe
//! capabilities (pyzmq, CZMQ) never offer users something that would fail.

/// Capabilities this build provides. Grows as transports and mechanisms land.
const PROVIDED: &[&str] = &["ipc", "curve", "draft"];

/// Whether `name` (as passed to `zmq_has`, e.g. "ipc", "curve", "draft") is provided.
pub fn has(name: &str) -> bool {
    PROVIDED.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transports_not_built_are_not_claimed() {
        for name in ["pgm", "tipc", "norm", "vmci", "gssapi", "ws", "wss", "no-such-thing"] {
            assert!(!has(name), "{name}");
        }
    }

    #[test]
    fn curve_and_the_draft_api_are_claimed() {
        assert!(has("curve"));
        assert!(has("draft"));
    }
}
