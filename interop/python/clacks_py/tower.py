"""A Clacks tower: a queue in memory, a peer table, links to peers and an
acceptor. The peer table is simpler than the TypeScript tower's (no ignore
list, no eviction order beyond "never an alive peer"); hand-off,
acknowledgement, resume and goodbye follow PROTOCOL.md.
"""
import asyncio
import collections
import os
import random
import ssl
import time

from clacks.v1 import frame_pb2, tower_pb2

from .framing import DEFAULT_MAX_FRAME_BYTES, address_problem
from .inbound import Inbound, SessionTable
from .link import Link

REFUSAL = frame_pb2.RefusalReason
MAX_HOPS = 2**32 - 1


class Held:
    __slots__ = ("id", "payload", "hops")

    def __init__(self, message_id, payload, hops):
        self.id = message_id
        self.payload = payload
        self.hops = hops


class Peer:
    def __init__(self, hostname, port, status):
        self.hostname = hostname
        self.port = port
        self.status = status
        self.since = time.time()

    @property
    def key(self):
        return f"{self.hostname.lower()}:{self.port}"

    def set_status(self, status):
        if status != self.status:
            self.status = status
            self.since = time.time()


class Tower:
    def __init__(self, hostname, port, cert, key, sendrate=100.0, killtimeout_ms=3_600_000,
                 handshake_timeout=10.0, max_payload_bytes=1024 * 1024, max_queue_messages=100_000):
        self.hostname = hostname
        self.port = port
        self.instance_id = os.urandom(16)
        self.sendrate = sendrate
        self.killtimeout = killtimeout_ms / 1000
        self.handshake_timeout = handshake_timeout
        self.ack_timeout = 5.0
        self.idle_timeout = 60.0
        self.backoff_initial = 0.25
        self.backoff_max = 30.0
        self.max_in_flight = 1024
        self.max_frame_bytes = DEFAULT_MAX_FRAME_BYTES
        self.max_payload_bytes = max_payload_bytes
        self.max_queue_messages = max_queue_messages
        self.max_peers = 10_000
        self.queue = collections.deque()
        self.peers = {}
        self.links = {}
        self.sessions = SessionTable()
        self.paused = False
        self.counters = collections.Counter()
        self.received_from = collections.Counter()
        self.tasks = set()
        self.loop = None
        self._server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._server_context.minimum_version = ssl.TLSVersion.TLSv1_3
        self._server_context.set_alpn_protocols(["clacks/1"])
        self._server_context.load_cert_chain(cert, key)

    # --- lifecycle ---

    async def start(self):
        self.loop = asyncio.get_running_loop()
        server = await asyncio.start_server(
            self._accepted, self.hostname, self.port, ssl=self._server_context,
            ssl_handshake_timeout=self.handshake_timeout)
        self.port = server.sockets[0].getsockname()[1]
        self.spawn(self._pump())
        self.spawn(self._maintain())
        return server

    def spawn(self, coroutine):
        task = self.loop.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _accepted(self, reader, writer):
        # TLS is already up here; the handshake timeout counts from about now.
        await Inbound(self, reader, writer).run(time.monotonic())

    # --- what the application does ---

    def enqueue(self, payload):
        held = Held(os.urandom(16), payload, 0)
        self.queue.append(held)
        return held.id

    def expand(self, hostname, port, announce=False):
        peer = self._add_peer(hostname, port, "new")
        if announce and peer is not None:
            link = self._link(peer)
            link.announce = True
            link.want()

    def descriptor(self):
        return tower_pb2.TowerDescriptor(hostname=self.hostname, port=self.port)

    def held(self):
        """Every message this tower holds: queued, in flight, or in doubt."""
        out = [(held, "queued") for held in self.queue]
        for link in self.links.values():
            state = "in-doubt" if link.in_doubt else "in-flight"
            out += [(held, state) for _, held in link.in_flight]
        return out

    # --- called by connections ---

    def admit(self, tower):
        """A dialer passed the Hello checks: it is a peer, alive (a success as recipient)."""
        peer = self._add_peer(tower.hostname, tower.port, "alive")
        if peer is not None:
            peer.set_status("alive")
        return f"{tower.hostname.lower()}:{tower.port}"

    def take(self, message, from_key):
        """Takes custody of a message, or says why not (§6)."""
        if len(message.id) != 16 or (message.HasField("friend") and address_problem(message.friend) is not None):
            return REFUSAL.REFUSAL_REASON_MALFORMED
        if len(message.payload) > self.max_payload_bytes:
            return REFUSAL.REFUSAL_REASON_TOO_LARGE
        if len(self.queue) >= self.max_queue_messages:
            return REFUSAL.REFUSAL_REASON_QUEUE_FULL
        self.queue.append(Held(bytes(message.id), bytes(message.payload), min(message.hops + 1, MAX_HOPS)))
        self.counters["received"] += 1
        self.received_from[from_key] += 1
        if message.HasField("friend"):
            self._add_peer(message.friend.hostname, message.friend.port, "new")
        return None

    def announced(self, tower, alive=False):
        peer = self._add_peer(tower.hostname, tower.port, "alive" if alive else "new")
        if peer is not None and alive:
            peer.set_status("alive")

    def requeue(self, messages):
        self.queue.extend(messages)

    def succeeded(self, peer):
        peer.set_status("alive")

    def failed(self, peer):
        if peer.status in ("new", "alive"):
            peer.set_status("lost")

    # --- internals ---

    def _add_peer(self, hostname, port, status):
        key = f"{hostname.lower()}:{port}"
        if key == f"{self.hostname.lower()}:{self.port}":
            return None
        peer = self.peers.get(key)
        if peer is None:
            if len(self.peers) >= self.max_peers and not self._forget_one():
                return None
            peer = self.peers[key] = Peer(hostname, port, status)
        return peer

    def _forget_one(self):
        for status in ("dead", "lost", "new"):
            for key, peer in self.peers.items():
                if peer.status == status and (key not in self.links or not self.links[key].in_flight):
                    del self.peers[key]
                    self.links.pop(key, None)
                    return True
        return False

    def _link(self, peer):
        link = self.links.get(peer.key)
        if link is None:
            link = self.links[peer.key] = Link(self, peer)
        return link

    def _pick(self, tried):
        """A peer by status (§12): new first; else alive 95 %, lost 4.999 %, dead 0.001 %."""
        by_status = collections.defaultdict(list)
        for peer in self.peers.values():
            if peer.key not in tried:
                by_status[peer.status].append(peer)
        if by_status["new"]:
            return random.choice(by_status["new"])
        draw = random.random()
        first = "alive" if draw < 0.95 else "lost" if draw < 0.99999 else "dead"
        order = ["alive", "lost", "dead"]
        start = order.index(first)
        for status in order[start:] + order[:start]:
            if by_status[status]:
                return random.choice(by_status[status])
        return None

    def _friend_for(self, peer):
        alive = [p for p in self.peers.values() if p.status == "alive" and p is not peer]
        if not alive:
            return None
        friend = random.choice(alive)
        return tower_pb2.TowerDescriptor(hostname=friend.hostname, port=friend.port)

    async def _pump(self):
        """Sends one message per tick of the send rate to a peer whose link is open."""
        interval = 1 / self.sendrate
        while True:
            await asyncio.sleep(interval)
            if self.paused or not self.queue:
                continue
            tried = set()
            for _ in range(4):
                peer = self._pick(tried)
                if peer is None:
                    break
                tried.add(peer.key)
                link = self._link(peer)
                if link.can_send():
                    held = self.queue.popleft()
                    if link.send(held, self._friend_for(peer)):
                        break
                    self.queue.appendleft(held)
                else:
                    link.want()  # no message waits on a handshake: it goes to the next pick meanwhile

    async def _maintain(self):
        while True:
            await asyncio.sleep(0.25)
            now = time.monotonic()
            for link in list(self.links.values()):
                link.check_timers(now)
            for peer in self.peers.values():
                if peer.status == "lost" and time.time() - peer.since > self.killtimeout:
                    peer.set_status("dead")
                    link = self.links.get(peer.key)
                    if link is not None:
                        link.give_up()
