//! The Rust `zmq` crate (unchanged, from crates.io) on our library: the program talks to itself
//! over tcp, ipc and inproc with the classic patterns, and checks errors map to the same
//! `zmq::Error` values. Prints `PASS name` / `FAIL name: why` and exits non-zero on a failure;
//! the first argument is the version the library must report.

use std::process::ExitCode;

type Check = Result<(), String>;

fn ensure(cond: bool, what: &str) -> Check {
    if cond {
        Ok(())
    } else {
        Err(what.to_string())
    }
}

fn socket(ctx: &zmq::Context, kind: zmq::SocketType) -> Result<zmq::Socket, String> {
    let s = ctx.socket(kind).map_err(|e| e.to_string())?;
    s.set_linger(0).map_err(|e| e.to_string())?;
    // Every wait is bounded.
    s.set_rcvtimeo(5000).map_err(|e| e.to_string())?;
    s.set_sndtimeo(5000).map_err(|e| e.to_string())?;
    Ok(s)
}

/// Binds `a` to `endpoint` and connects `b` to the endpoint it really got.
fn join(a: &zmq::Socket, b: &zmq::Socket, endpoint: &str) -> Check {
    a.bind(endpoint).map_err(|e| format!("bind {endpoint}: {e}"))?;
    let last = a.get_last_endpoint().map_err(|e| e.to_string())?.map_err(|_| "endpoint not utf-8")?;
    b.connect(&last).map_err(|e| format!("connect {last}: {e}"))
}

fn recv_str(s: &zmq::Socket) -> Result<String, String> {
    s.recv_string(0).map_err(|e| e.to_string())?.map_err(|_| "not utf-8".to_string())
}

fn req_rep(ctx: &zmq::Context, ep: &str) -> Check {
    let (rep, req) = (socket(ctx, zmq::REP)?, socket(ctx, zmq::REQ)?);
    join(&rep, &req, ep)?;
    req.send("hello", 0).map_err(|e| e.to_string())?;
    ensure(recv_str(&rep)? == "hello", "request")?;
    rep.send("world", 0).map_err(|e| e.to_string())?;
    ensure(recv_str(&req)? == "world", "reply")
}

fn push_pull_multipart(ctx: &zmq::Context, ep: &str) -> Check {
    let (pull, push) = (socket(ctx, zmq::PULL)?, socket(ctx, zmq::PUSH)?);
    join(&pull, &push, ep)?;
    push.send_multipart(["a", "bc", ""], 0).map_err(|e| e.to_string())?;
    let parts = pull.recv_multipart(0).map_err(|e| e.to_string())?;
    ensure(parts == vec![b"a".to_vec(), b"bc".to_vec(), vec![]], "parts")
}

fn pub_sub(ctx: &zmq::Context, ep: &str) -> Check {
    let (publisher, sub) = (socket(ctx, zmq::PUB)?, socket(ctx, zmq::SUB)?);
    join(&publisher, &sub, ep)?;
    sub.set_subscribe(b"news").map_err(|e| e.to_string())?;
    // Resend until the subscription has reached the publisher.
    for _ in 0..200 {
        publisher.send("sport", 0).map_err(|e| e.to_string())?;
        publisher.send("news!", 0).map_err(|e| e.to_string())?;
        let mut items = [sub.as_poll_item(zmq::POLLIN)];
        if zmq::poll(&mut items, 20).map_err(|e| e.to_string())? == 1 {
            return ensure(recv_str(&sub)? == "news!", "filtered message");
        }
    }
    Err("nothing arrived".into())
}

fn dealer_router(ctx: &zmq::Context, ep: &str) -> Check {
    let (router, dealer) = (socket(ctx, zmq::ROUTER)?, socket(ctx, zmq::DEALER)?);
    dealer.set_identity(b"D1").map_err(|e| e.to_string())?;
    join(&router, &dealer, ep)?;
    dealer.send("q", 0).map_err(|e| e.to_string())?;
    let parts = router.recv_multipart(0).map_err(|e| e.to_string())?;
    ensure(parts == vec![b"D1".to_vec(), b"q".to_vec()], "routing id + body")?;
    router.send_multipart(["D1", "r"], 0).map_err(|e| e.to_string())?;
    ensure(recv_str(&dealer)? == "r", "routed reply")
}

fn errors(ctx: &zmq::Context) -> Check {
    let s = socket(ctx, zmq::PULL)?;
    ensure(s.recv_bytes(zmq::DONTWAIT) == Err(zmq::Error::EAGAIN), "EAGAIN on empty DONTWAIT recv")?;
    ensure(s.send("x", 0) == Err(zmq::Error::ENOTSUP), "ENOTSUP sending on PULL")?;
    ensure(s.bind("bogus://x") == Err(zmq::Error::EPROTONOSUPPORT), "EPROTONOSUPPORT")?;
    ensure(s.bind("tcp://") == Err(zmq::Error::EINVAL), "EINVAL for a bad endpoint")?;
    s.set_sndhwm(321).map_err(|e| e.to_string())?;
    ensure(s.get_sndhwm() == Ok(321), "SNDHWM round trip")?;
    ensure(s.get_socket_type() == Ok(zmq::PULL), "socket type")
}

fn main() -> ExitCode {
    let want = std::env::args().nth(1).unwrap_or_default();
    let (major, minor, patch) = zmq::version();
    let have = format!("{major}.{minor}.{patch}");
    println!("zmq::version {have}");
    let ctx = zmq::Context::new();
    let mut checks: Vec<(String, Check)> = vec![("version is ours".into(), ensure(have == want, &have))];
    for (tag, ep) in [("tcp", "tcp://127.0.0.1:*"), ("ipc", "ipc://*"), ("inproc", "inproc://rs-")] {
        // A fresh inproc name per pair: a closed socket frees its name asynchronously.
        let mut n = 0;
        let mut endpoint = || {
            n += 1;
            if tag == "inproc" {
                format!("{ep}{n}")
            } else {
                ep.to_string()
            }
        };
        checks.push((format!("req-rep {tag}"), req_rep(&ctx, &endpoint())));
        checks.push((format!("push-pull multipart {tag}"), push_pull_multipart(&ctx, &endpoint())));
        checks.push((format!("pub-sub {tag}"), pub_sub(&ctx, &endpoint())));
        checks.push((format!("dealer-router {tag}"), dealer_router(&ctx, &endpoint())));
    }
    checks.push(("errors and options".into(), errors(&ctx)));
    let mut failed = 0;
    for (name, result) in &checks {
        match result {
            Ok(()) => println!("PASS {name}"),
            Err(why) => {
                failed += 1;
                println!("FAIL {name}: {why}");
            }
        }
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
