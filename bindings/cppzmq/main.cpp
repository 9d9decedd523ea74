// cppzmq (Debian's cppzmq-dev zmq.hpp/zmq_addon.hpp, unchanged) compiled against our zmq.h and
// run against our library. Prints `PASS name` / `FAIL name: why`; argv[1] is the version the
// library must report.
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

static int failures = 0;

static void check(const char *name, const std::function<bool()> &body) {
    try {
        if (body()) {
            std::printf("PASS %s\n", name);
            return;
        }
        std::printf("FAIL %s: check was false\n", name);
    } catch (const zmq::error_t &e) {
        std::printf("FAIL %s: zmq::error_t %d %s\n", name, e.num(), e.what());
    } catch (const std::exception &e) {
        std::printf("FAIL %s: %s\n", name, e.what());
    }
    failures++;
}

static zmq::socket_t make(zmq::context_t &ctx, zmq::socket_type type) {
    zmq::socket_t s(ctx, type);
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::rcvtimeo, 5000);  // every wait is bounded
    s.set(zmq::sockopt::sndtimeo, 5000);
    return s;
}

static void connect_pair(zmq::socket_t &a, zmq::socket_t &b, const std::string &where) {
    a.bind(where);
    b.connect(a.get(zmq::sockopt::last_endpoint));
}

static std::string recv_str(zmq::socket_t &s) {
    zmq::message_t m;
    auto n = s.recv(m, zmq::recv_flags::none);
    return n ? m.to_string() : std::string("<timeout>");
}

int main(int argc, char **argv) {
    std::setvbuf(stdout, nullptr, _IONBF, 0);
    int major, minor, patch;
    zmq::version(&major, &minor, &patch);
    std::string have = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
    std::printf("zmq::version %s\n", have.c_str());
    check("version is ours", [&] { return argc > 1 && have == argv[1]; });

    zmq::context_t ctx;
    check("context options", [&] {
        ctx.set(zmq::ctxopt::io_threads, 2);
        return ctx.get(zmq::ctxopt::io_threads) == 2;
    });
    int n = 0;
    for (std::string where : {"tcp://127.0.0.1:*", "inproc://", "ipc://*"}) {
        std::string tag = where.substr(0, where.find(':'));
        auto ep = [&] { return where == "inproc://" ? "inproc://cpp-" + std::to_string(++n) : where; };
        check(("req-rep " + tag).c_str(), [&] {
            auto rep = make(ctx, zmq::socket_type::rep), req = make(ctx, zmq::socket_type::req);
            connect_pair(rep, req, ep());
            req.send(zmq::str_buffer("hello"), zmq::send_flags::none);
            if (recv_str(rep) != "hello") return false;
            rep.send(zmq::buffer(std::string("world")), zmq::send_flags::none);
            return recv_str(req) == "world";
        });
        check(("push-pull multipart " + tag).c_str(), [&] {
            auto pull = make(ctx, zmq::socket_type::pull), push = make(ctx, zmq::socket_type::push);
            connect_pair(pull, push, ep());
            std::vector<zmq::const_buffer> parts = {zmq::str_buffer("a"), zmq::str_buffer("bc"), zmq::str_buffer("")};
            if (zmq::send_multipart(push, parts) != 3u) return false;
            std::vector<zmq::message_t> got;
            auto r = zmq::recv_multipart(pull, std::back_inserter(got));
            return r && *r == 3 && got[0].to_string() == "a" && got[1].to_string() == "bc" && got[2].size() == 0;
        });
        check(("pub-sub " + tag).c_str(), [&] {
            auto pub = make(ctx, zmq::socket_type::pub), sub = make(ctx, zmq::socket_type::sub);
            connect_pair(pub, sub, ep());
            sub.set(zmq::sockopt::subscribe, "news");
            for (int i = 0; i < 200; i++) {
                pub.send(zmq::str_buffer("sport"), zmq::send_flags::none);
                pub.send(zmq::str_buffer("news!"), zmq::send_flags::none);
                zmq::pollitem_t item = {sub.handle(), 0, ZMQ_POLLIN, 0};
                if (zmq::poll(&item, 1, std::chrono::milliseconds(20)) == 1) return recv_str(sub) == "news!";
            }
            return false;
        });
        check(("dealer-router " + tag).c_str(), [&] {
            auto router = make(ctx, zmq::socket_type::router), dealer = make(ctx, zmq::socket_type::dealer);
            dealer.set(zmq::sockopt::routing_id, "D1");
            connect_pair(router, dealer, ep());
            dealer.send(zmq::str_buffer("q"), zmq::send_flags::none);
            std::vector<zmq::message_t> got;
            if (!zmq::recv_multipart(router, std::back_inserter(got)) || got.size() != 2 ||
                got[0].to_string() != "D1" || got[1].to_string() != "q")
                return false;
            zmq::multipart_t reply;
            reply.addstr("D1");
            reply.addstr("r");
            reply.send(router);
            return recv_str(dealer) == "r";
        });
    }
    check("errors become zmq::error_t with libzmq's errno", [&] {
        auto s = make(ctx, zmq::socket_type::pull);
        try {
            s.bind("bogus://x");
        } catch (const zmq::error_t &e) {
            return e.num() == EPROTONOSUPPORT;
        }
        return false;
    });
    check("non-blocking recv on empty socket returns no value", [&] {
        auto s = make(ctx, zmq::socket_type::pull);
        zmq::message_t m;
        return !s.recv(m, zmq::recv_flags::dontwait).has_value();
    });
    check("socket options round trip", [&] {
        auto s = make(ctx, zmq::socket_type::dealer);
        s.set(zmq::sockopt::sndhwm, 321);
        s.set(zmq::sockopt::routing_id, "abc");
        return s.get(zmq::sockopt::sndhwm) == 321 && s.get(zmq::sockopt::routing_id) == "abc" &&
               s.get(zmq::sockopt::type) == ZMQ_DEALER;
    });
    check("monitor socket sees the connection", [&] {
        auto rep = make(ctx, zmq::socket_type::rep);
        zmq::socket_t mon(ctx, zmq::socket_type::pair);
        mon.set(zmq::sockopt::rcvtimeo, 5000);
        zmq_socket_monitor(rep.handle(), "inproc://cpp-monitor", ZMQ_EVENT_LISTENING);
        mon.connect("inproc://cpp-monitor");
        rep.bind("tcp://127.0.0.1:*");
        zmq::message_t ev;
        return mon.recv(ev).has_value() && ev.size() == 6 &&
               *static_cast<const uint16_t *>(ev.data()) == ZMQ_EVENT_LISTENING;
    });
    ctx.shutdown();
    ctx.close();
    return failures != 0;
}
