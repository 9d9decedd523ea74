# Debian's ffi-rzmq (unchanged; it opens "libzmq.so.5" by name) on our library, found through
# LD_LIBRARY_PATH. Checks the context, every classic socket pattern over tcp, ipc and inproc,
# multipart, ZMQ::Poller, options and errno values. Prints `PASS name` / `FAIL name: why` and a
# last line `N passed, M failed`. ENV["EXPECT_VERSION"] is the version zmq_version must report,
# ENV["EXPECT_LIB"] the library file that must be mapped into this process.
require 'ffi-rzmq'

$passed = 0
$failed = 0

def check(name)
  ok = yield
  if ok
    $passed += 1
    puts "PASS #{name}"
  else
    $failed += 1
    puts "FAIL #{name}: check was false (errno #{ZMQ::Util.errno} #{ZMQ::Util.error_string})"
  end
rescue StandardError => e
  $failed += 1
  puts "FAIL #{name}: #{e.class}: #{e.message}"
end

def ok?(rc)
  ZMQ::Util.resultcode_ok?(rc)
end

# A socket whose every wait is bounded and whose close never lingers.
def make(ctx, type)
  s = ctx.socket(type)
  raise "zmq_socket failed: #{ZMQ::Util.error_string}" unless s
  [[ZMQ::LINGER, 0], [ZMQ::RCVTIMEO, 5000], [ZMQ::SNDTIMEO, 5000]].each do |opt, v|
    raise "setsockopt #{opt}" unless ok?(s.setsockopt(opt, v))
  end
  s
end

$inproc = 0
# Binds a to a wildcard endpoint (a fresh name for inproc) and connects b to what it got.
def join(a, b, where)
  where = "inproc://rb-#{$inproc += 1}" if where == 'inproc://'
  raise "bind #{where}: #{ZMQ::Util.error_string}" unless ok?(a.bind(where))
  ep = []
  raise 'LAST_ENDPOINT' unless ok?(a.getsockopt(ZMQ::LAST_ENDPOINT, ep))
  endpoint = ep[0].delete("\0")
  raise "connect #{endpoint}: #{ZMQ::Util.error_string}" unless ok?(b.connect(endpoint))
end

def recv(s)
  str = +''
  ok?(s.recv_string(str)) ? str : nil
end

def closing(*socks)
  yield(*socks)
ensure
  socks.each(&:close)
end

maps = File.readlines('/proc/self/maps').map { |l| l.split[5] }.compact.grep(/libzmq/).uniq
v = LibZMQ.version
version = "#{v[:major]}.#{v[:minor]}.#{v[:patch]}"
puts "zmq_version #{version}; mapped: #{maps.join(', ')}"
check('zmq_version is the expected library') { version == ENV.fetch('EXPECT_VERSION') }
check('the expected libzmq file is mapped') do
  maps.map { |m| File.realpath(m) }.include?(File.realpath(ENV.fetch('EXPECT_LIB')))
end

ctx = ZMQ::Context.new
check('context') { !ctx.nil? && !ctx.context.null? }

%w[tcp://127.0.0.1:* ipc://* inproc://].each do |where|
  tag = where.split(':').first
  check("REQ/REP #{tag}") do
    closing(make(ctx, ZMQ::REP), make(ctx, ZMQ::REQ)) do |rep, req|
      join(rep, req, where)
      ok?(req.send_string('hello')) && recv(rep) == 'hello' &&
        ok?(rep.send_string('world')) && recv(req) == 'world'
    end
  end
  check("PUSH/PULL multipart #{tag}") do
    closing(make(ctx, ZMQ::PULL), make(ctx, ZMQ::PUSH)) do |pull, push|
      join(pull, push, where)
      parts = []
      ok?(push.send_strings(%w[a bc d])) && ok?(pull.recv_strings(parts)) && parts == %w[a bc d] &&
        !pull.more_parts?
    end
  end
  check("PUB/SUB filter #{tag}") do
    closing(make(ctx, ZMQ::PUB), make(ctx, ZMQ::SUB)) do |pub, sub|
      join(pub, sub, where)
      sub.setsockopt(ZMQ::SUBSCRIBE, 'news')
      poller = ZMQ::Poller.new
      poller.register_readable(sub)
      # Resend until the subscription has reached the publisher.
      got = nil
      200.times do
        pub.send_string('sport x')
        pub.send_string('news y')
        if poller.poll(20) == 1
          got = recv(sub)
          break
        end
      end
      got == 'news y'
    end
  end
  check("XPUB/XSUB #{tag}") do
    closing(make(ctx, ZMQ::XPUB), make(ctx, ZMQ::XSUB)) do |xpub, xsub|
      join(xpub, xsub, where)
      ok?(xsub.send_string("\x01topic")) && recv(xpub) == "\x01topic" &&
        ok?(xpub.send_string('topic!')) && recv(xsub) == 'topic!'
    end
  end
  check("DEALER/ROUTER #{tag}") do
    closing(make(ctx, ZMQ::ROUTER), make(ctx, ZMQ::DEALER)) do |router, dealer|
      dealer.identity = 'D1'
      join(router, dealer, where)
      parts = []
      ok?(dealer.send_string('q')) && ok?(router.recv_strings(parts)) && parts == %w[D1 q] &&
        ok?(router.send_strings(%w[D1 r])) && recv(dealer) == 'r'
    end
  end
  check("PAIR with ZMQ::Message #{tag}") do
    closing(make(ctx, ZMQ::PAIR), make(ctx, ZMQ::PAIR)) do |a, b|
      join(a, b, where)
      out = ZMQ::Message.new('xyz')
      inp = ZMQ::Message.new
      r = ok?(b.sendmsg(out)) && ok?(a.recvmsg(inp)) && inp.copy_out_string == 'xyz'
      inp.close
      r
    end
  end
end

check('Poller: POLLIN only when a message waits, POLLOUT on a connected PUSH') do
  closing(make(ctx, ZMQ::PULL), make(ctx, ZMQ::PUSH)) do |pull, push|
    join(pull, push, 'tcp://127.0.0.1:*')
    poller = ZMQ::Poller.new
    poller.register(pull, ZMQ::POLLIN)
    poller.register(push, ZMQ::POLLOUT)
    first = poller.poll(1000)
    quiet = first == 1 && poller.writables == [push] && poller.readables.empty?
    push.send_string('m')
    poller.deregister(push, ZMQ::POLLOUT)
    quiet && poller.poll(5000) == 1 && poller.readables == [pull] && recv(pull) == 'm'
  end
end

check('options round trip (integers, strings, 64-bit)') do
  closing(make(ctx, ZMQ::DEALER)) do |s|
    a = []
    b = []
    c = []
    t = []
    ok?(s.setsockopt(ZMQ::SNDHWM, 321)) && ok?(s.getsockopt(ZMQ::SNDHWM, a)) && a[0] == 321 &&
      ok?(s.setsockopt(ZMQ::IDENTITY, 'abc')) && s.identity == 'abc' &&
      ok?(s.setsockopt(ZMQ::MAXMSGSIZE, 1 << 40)) && ok?(s.getsockopt(ZMQ::MAXMSGSIZE, b)) && b[0] == 1 << 40 &&
      ok?(s.getsockopt(ZMQ::TYPE, t)) && t[0] == ZMQ::DEALER &&
      ok?(s.getsockopt(ZMQ::LINGER, c)) && c[0] == 0
  end
end

check('errors: EAGAIN, ENOTSUP, EPROTONOSUPPORT, EINVAL, EFSM') do
  closing(make(ctx, ZMQ::PULL), make(ctx, ZMQ::REQ)) do |pull, req|
    str = +''
    r1 = pull.recv_string(str, ZMQ::DONTWAIT) == -1 && ZMQ::Util.errno == ZMQ::EAGAIN
    r2 = pull.send_string('x') == -1 && ZMQ::Util.errno == ZMQ::ENOTSUP
    r3 = pull.bind('bogus://x') == -1 && ZMQ::Util.errno == ZMQ::EPROTONOSUPPORT
    r4 = pull.bind('tcp://') == -1 && ZMQ::Util.errno == ZMQ::EINVAL
    r5 = req.recv_string(str) == -1 && ZMQ::Util.errno == ZMQ::EFSM
    r6 = ZMQ::Util.error_string.include?('Operation cannot be accomplished in current state')
    puts "  errors: #{[r1, r2, r3, r4, r5, r6].inspect}" unless r1 && r2 && r3 && r4 && r5 && r6
    r1 && r2 && r3 && r4 && r5 && r6
  end
end

check('bad socket type: no socket, EINVAL') { ctx.socket(999).nil? && ZMQ::Util.errno == ZMQ::EINVAL }

check('context terminates') { ok?(ctx.terminate) }

puts "#{$passed} passed, #{$failed} failed"
exit($failed.zero? ? 0 : 1)
