"""The acceptor's side of one connection (PROTOCOL.md §5, §6, §8, §9)."""
import asyncio
import time

from clacks.v1 import frame_pb2

from .framing import MAX_SEQ, FrameBuffer, FrameError, address_problem, encode

GOODBYE = frame_pb2.GoodbyeReason
ACK_EVERY_MESSAGES = 256


class Session:
    """What the acceptor keeps of one dialer's session: enough to answer a resume exactly."""

    def __init__(self, session_id, dialer_instance):
        self.session_id = session_id
        self.dialer_instance = dialer_instance
        self.settled = 0
        self.refused = []
        self.connection = None

    def note_refused(self, seq, window):
        self.refused.append(seq)
        self.refused = [r for r in self.refused if r > seq - window]


class SessionTable:
    """Sessions by id, least recently used first; full, it forgets the oldest without a connection."""

    def __init__(self, max_sessions=10_000):
        self.max_sessions = max_sessions
        self._sessions = {}

    def resume_or_start(self, hello, own_instance):
        session = self._sessions.pop(hello.session_id, None)
        if session is not None and session.connection is not None:
            session.connection.replace()
        resuming = (session is not None and hello.resume_instance_id == own_instance
                    and session.dialer_instance == hello.instance_id)
        if not resuming:
            if len(self._sessions) >= self.max_sessions:
                for key, old in self._sessions.items():
                    if old.connection is None:
                        del self._sessions[key]
                        break
            session = Session(hello.session_id, hello.instance_id)
        self._sessions[hello.session_id] = session
        return session


class Inbound:
    def __init__(self, tower, reader, writer):
        self.tower = tower
        self.reader = reader
        self.writer = writer
        self.buffer = FrameBuffer(tower.max_frame_bytes)
        self.session = None
        self.dialer_key = None
        self.unacked = 0
        self.closed = False

    async def run(self, accepted_at):
        ssl_object = self.writer.get_extra_info("ssl_object")
        if ssl_object is None or ssl_object.selected_alpn_protocol() != "clacks/1":
            # Not a Clacks dialer: no frame at all, not even a Goodbye (§2).
            self.writer.close()
            return
        try:
            left = self.tower.handshake_timeout - (time.monotonic() - accepted_at)
            hello = await asyncio.wait_for(self._first_frame(), max(0.01, left))
            if hello is not None:
                self._hello(hello)
            if self.session is not None:
                await self._serve()
        except asyncio.TimeoutError:
            self.goodbye(GOODBYE.GOODBYE_REASON_HANDSHAKE_TIMEOUT, "no hello in time")
        except FrameError as error:
            self._protocol_error(str(error))
        except (ConnectionError, OSError):
            pass
        finally:
            if self.session is not None and self.session.connection is self:
                self.session.connection = None
            self.closed = True
            self.writer.close()

    async def _first_frame(self):
        while True:
            frame = self.buffer.next()
            if frame is not None:
                return frame
            chunk = await self.reader.read(65536)
            if not chunk:
                return None
            self.buffer.push(chunk)

    async def _serve(self):
        while not self.closed:
            frame = self.buffer.next()
            if frame is None:
                # No further complete frame buffered: the moment to acknowledge (§6).
                self._acknowledge()
                await self.writer.drain()
                chunk = await self.reader.read(65536)
                if not chunk or self.closed:
                    return
                self.buffer.push(chunk)
                continue
            self._frame(frame)
            if self.unacked >= ACK_EVERY_MESSAGES:
                self._acknowledge()

    def _frame(self, frame):
        kind = frame.WhichOneof("kind")
        if kind == "message":
            self._message(frame.message)
        elif kind == "announce":
            self._announce(frame.announce)
        elif kind == "goodbye":
            # No Goodbye in answer to a Goodbye (§9): settle what was read, then close.
            self._acknowledge()
            self.closed = True
        else:
            self._protocol_error(f"a dialer does not send {kind}")

    def _hello(self, frame):
        if frame.WhichOneof("kind") != "hello":
            return self._protocol_error(f"expected hello, got {frame.WhichOneof('kind')}")
        hello = frame.hello
        if hello.protocol_version != 1:
            return self.goodbye(GOODBYE.GOODBYE_REASON_VERSION_UNSUPPORTED, "this tower speaks protocol version 1")
        problem = address_problem(hello.tower) if hello.HasField("tower") else "hello has no tower"
        if problem is None and (len(hello.instance_id) != 16 or len(hello.session_id) != 16):
            problem = "instance id and session id must be 16 bytes each"
        if problem is None and hello.instance_id == self.tower.instance_id:
            problem = "a tower cannot connect to itself"
        if problem is not None:
            return self._protocol_error(problem)
        self.dialer_key = self.tower.admit(hello.tower)
        self.session = self.tower.sessions.resume_or_start(hello, self.tower.instance_id)
        self.session.connection = self
        self._send(frame_pb2.Frame(welcome=frame_pb2.Welcome(
            protocol_version=1, tower=self.tower.descriptor(), instance_id=self.tower.instance_id,
            settled_through=self.session.settled, refused=self.session.refused,
            max_in_flight=self.tower.max_in_flight, max_frame_bytes=self.tower.max_frame_bytes)))

    def _message(self, message):
        session = self.session
        if message.seq != session.settled + 1 or message.seq > MAX_SEQ:
            return self._protocol_error(f"message seq {message.seq} does not follow {session.settled}")
        session.settled = message.seq
        self.unacked += 1
        reason = self.tower.take(message, self.dialer_key)
        if reason is not None:
            session.note_refused(message.seq, self.tower.max_in_flight)
            self._send(frame_pb2.Frame(refusal=frame_pb2.Refusal(seq=message.seq, reason=reason)))

    def _announce(self, announce):
        if not announce.HasField("tower") or address_problem(announce.tower) is not None:
            return self._protocol_error("announce carries no valid tower")
        self.tower.announced(announce.tower)
        self._send(frame_pb2.Frame(announce=frame_pb2.Announce(tower=self.tower.descriptor())))

    def _acknowledge(self):
        if self.unacked > 0 and self.session is not None:
            self.unacked = 0
            self._send(frame_pb2.Frame(ack=frame_pb2.Ack(seq=self.session.settled)))

    def _protocol_error(self, detail):
        self.tower.counters["protocol_errors"] += 1
        self._acknowledge()
        self.goodbye(GOODBYE.GOODBYE_REASON_PROTOCOL_ERROR, detail)

    def replace(self):
        """A newer connection took the session: settle, say so, process nothing more here."""
        self._acknowledge()
        self.goodbye(GOODBYE.GOODBYE_REASON_REPLACED)

    def goodbye(self, reason, detail=""):
        if self.closed:
            return
        self._send(frame_pb2.Frame(goodbye=frame_pb2.Goodbye(reason=reason, detail=detail[:200])))
        self.closed = True
        self.writer.close()

    def _send(self, frame):
        if not self.writer.is_closing():
            self.writer.write(encode(frame))
