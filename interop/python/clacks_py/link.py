"""The dialer's side: one persistent connection to one peer, its session and
its messages in flight (PROTOCOL.md §5, §6, §7, §9, §10).

    idle --want--> connecting --Welcome--> open --Goodbye IDLE--> idle
                        |                   |
                        +---fail / reset----+--> backoff --timer--> connecting

Messages in flight when a connection fails without a Goodbye are in doubt:
they stay here, sent nowhere, until the next Welcome settles them (or the
peer is declared dead and they go back to the queue).
"""
import asyncio
import os
import random
import ssl
import time

from clacks.v1 import frame_pb2

from .framing import DEFAULT_MAX_FRAME_BYTES, FrameBuffer, FrameError, encode

GOODBYE = frame_pb2.GoodbyeReason
WRITE_BUFFER_LIMIT = 1024 * 1024


def client_context():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # v1 towers use self-signed certificates (§2)
    context.set_alpn_protocols(["clacks/1"])
    return context


class Link:
    def __init__(self, tower, peer):
        self.tower = tower
        self.peer = peer
        self.session_id = os.urandom(16)  # new on every start of this tower, kept across reconnections
        self.remote_instance = b""
        self.state = "idle"
        self.in_flight = []  # [seq, held] in seq order
        self.next_seq = 1
        self.last_ack = 0
        self.window = tower.max_in_flight
        self.max_frame = DEFAULT_MAX_FRAME_BYTES
        self.backoff = tower.backoff_initial
        self.next_attempt = 0.0
        self.last_progress = 0.0
        self.last_used = 0.0
        self.writer = None
        self.announce = False

    @property
    def in_doubt(self):
        return self.state != "open" and len(self.in_flight) > 0

    def can_send(self):
        return (self.state == "open" and len(self.in_flight) < self.window
                and self.writer.transport.get_write_buffer_size() < WRITE_BUFFER_LIMIT)

    def want(self):
        """Dials when the backoff allows and no dial is under way."""
        if self.state in ("idle", "backoff") and time.monotonic() >= self.next_attempt:
            self.state = "connecting"
            self.tower.spawn(self._run())

    def send(self, held, friend):
        message = frame_pb2.Message(seq=self.next_seq, id=held.id, payload=held.payload, hops=held.hops)
        if friend is not None:
            message.friend.CopyFrom(friend)
        frame = frame_pb2.Frame(message=message)
        if frame.ByteSize() > self.max_frame:
            message.ClearField("friend")
            if frame.ByteSize() > self.max_frame:
                return False
        if not self.in_flight:
            self.last_progress = time.monotonic()
        self.in_flight.append([self.next_seq, held])
        self.next_seq += 1
        self.writer.write(encode(frame))
        self.tower.counters["sent"] += 1
        return True

    def check_timers(self, now):
        if self.state != "open":
            return
        if self.in_flight and now - self.last_progress > self.tower.ack_timeout:
            self._abort()  # the messages in flight are now in doubt; the resume settles them
        elif not self.in_flight and now - self.last_used > self.tower.idle_timeout:
            self._close(GOODBYE.GOODBYE_REASON_IDLE)
            self.state = "idle"

    def give_up(self):
        """The peer is dead: messages in doubt go back to the queue (§11)."""
        if self.state != "open":
            self.tower.requeue([held for _, held in self.in_flight])
            self.in_flight = []

    def goodbye(self, reason):
        if self.state == "open":
            self._close(reason)
            self.state = "idle"

    async def _run(self):
        writer = None
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(
                self.peer.hostname, self.peer.port, ssl=client_context(), server_hostname=None),
                self.tower.handshake_timeout)
            if writer.get_extra_info("ssl_object").selected_alpn_protocol() != "clacks/1":
                raise ConnectionError("the peer does not speak clacks/1")
            self.writer = writer
            buffer = FrameBuffer(self.tower.max_frame_bytes)
            writer.write(encode(frame_pb2.Frame(hello=frame_pb2.Hello(
                protocol_version=1, tower=self.tower.descriptor(), instance_id=self.tower.instance_id,
                resume_instance_id=self.remote_instance, session_id=self.session_id))))
            first = await asyncio.wait_for(self._next(reader, buffer), self.tower.handshake_timeout)
            if first.WhichOneof("kind") == "goodbye":
                # Before a Welcome a Goodbye settles nothing: in-doubt messages stay in doubt.
                return self._failed()
            if first.WhichOneof("kind") != "welcome":
                return self._protocol_error(f"expected welcome, got {first.WhichOneof('kind')}")
            self._welcome(first.welcome)
            if self.announce:
                self.announce = False
                writer.write(encode(frame_pb2.Frame(announce=frame_pb2.Announce(tower=self.tower.descriptor()))))
            while self.writer is writer:
                frame = await self._next(reader, buffer)
                if self.writer is not writer:
                    return
                self._frame(frame)
        except FrameError as error:
            if self.writer is writer:
                self._protocol_error(str(error))
        except (OSError, ConnectionError, EOFError, asyncio.TimeoutError, ssl.SSLError):
            if self.writer is writer or writer is None:
                self._failed()
        finally:
            if writer is not None:
                writer.close()

    async def _next(self, reader, buffer):
        while True:
            frame = buffer.next()
            if frame is not None:
                return frame
            chunk = await reader.read(65536)
            if not chunk:
                raise EOFError("connection closed")
            buffer.push(chunk)

    def _welcome(self, welcome):
        if welcome.protocol_version != 1 or len(welcome.instance_id) != 16:
            raise FrameError("welcome with a bad version or instance id")
        same_acceptor = welcome.instance_id == self.remote_instance
        self.remote_instance = welcome.instance_id
        refused = set(welcome.refused)
        back = []
        for seq, held in self.in_flight:
            if same_acceptor and seq <= welcome.settled_through and seq not in refused:
                self.tower.counters["acked"] += 1  # the acceptor has it: custody ended
                self.tower.counters["in_doubt_delivered"] += 1
            else:
                back.append(held)
                self.tower.counters["in_doubt_returned"] += 1
        self.in_flight = []
        self.tower.requeue(back)
        self.next_seq = welcome.settled_through + 1
        self.last_ack = welcome.settled_through
        # 0 means the acceptor stated no limit: keep our own (§5).
        self.window = min(self.tower.max_in_flight, welcome.max_in_flight or self.tower.max_in_flight)
        self.max_frame = welcome.max_frame_bytes or DEFAULT_MAX_FRAME_BYTES
        self.backoff = self.tower.backoff_initial
        self.state = "open"
        self.last_used = time.monotonic()
        self.tower.succeeded(self.peer)

    def _frame(self, frame):
        kind = frame.WhichOneof("kind")
        if kind == "ack":
            self._ack(frame.ack.seq)
        elif kind == "refusal":
            self._refusal(frame.refusal)
        elif kind == "announce":
            self.tower.announced(frame.announce.tower, alive=True)
        elif kind == "goodbye":
            self._goodbye(frame.goodbye)
        else:
            self._protocol_error(f"an acceptor does not send {kind}")

    def _ack(self, seq):
        if seq < self.last_ack or seq >= self.next_seq:
            return self._protocol_error(f"ack {seq} is outside {self.last_ack}..{self.next_seq - 1}")
        self.last_ack = seq
        settled = 0
        while settled < len(self.in_flight) and self.in_flight[settled][0] <= seq:
            settled += 1
        if settled:
            del self.in_flight[:settled]
            self.tower.counters["acked"] += settled
            self.last_progress = self.last_used = time.monotonic()
            self.tower.succeeded(self.peer)

    def _refusal(self, refusal):
        for index, (seq, held) in enumerate(self.in_flight):
            if seq == refusal.seq:
                del self.in_flight[index]
                self.tower.counters["refused"] += 1
                self.tower.requeue([held])
                self.last_used = time.monotonic()
                return
        self._protocol_error(f"refusal of seq {refusal.seq}, which is not in flight")

    def _goodbye(self, goodbye):
        # The acceptor settled all it processed before its Goodbye: the rest never reached it (§9).
        self.tower.requeue([held for _, held in self.in_flight])
        self.in_flight = []
        self.writer.close()
        self.writer = None
        if goodbye.reason in (GOODBYE.GOODBYE_REASON_IDLE, GOODBYE.GOODBYE_REASON_REPLACED):
            self.state = "idle"
        else:
            self._failed()

    def _protocol_error(self, detail):
        # Our Goodbye settles nothing: what is in flight is in doubt (§9) until a resume.
        self._close(GOODBYE.GOODBYE_REASON_PROTOCOL_ERROR, detail)
        self._failed()

    def _close(self, reason, detail=""):
        if self.writer is not None:
            self.writer.write(encode(frame_pb2.Frame(goodbye=frame_pb2.Goodbye(reason=reason, detail=detail[:200]))))
            self.writer.close()
            self.writer = None

    def _abort(self):
        if self.writer is not None:
            self.writer.transport.abort()
            self.writer = None
        self._failed()

    def _failed(self):
        self.writer = None
        self.state = "backoff"
        self.tower.failed(self.peer)
        self.next_attempt = time.monotonic() + self.backoff * random.uniform(0.5, 1.0)
        self.backoff = min(self.backoff * 2, self.tower.backoff_max)
        if self.in_flight:
            # Messages in doubt: come back as soon as the backoff allows to settle them (§10).
            self.tower.loop.call_at(self.tower.loop.time() + (self.next_attempt - time.monotonic()), self.want)
