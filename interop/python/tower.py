#!/usr/bin/env python3
"""A Clacks tower in Python, written from PROTOCOL.md and the .proto files.

    python3 tower.py --hostname 127.0.0.3 --port 0 --cert cert.pem --key key.pem [--expand HOST:PORT ...]

It prints {"event": "listening", "port": N, "instance_id": HEX} on stdout,
then takes one JSON command per line on stdin and answers each with one JSON
line on stdout: enqueue {"payload": TEXT}, pause, resume, peek, survey,
stats, expand {"hostname", "port", "announce"}. The generated modules are
looked for in ./gen (see generate.sh).
"""
import argparse
import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen"))

from clacks_py.tower import Tower  # noqa: E402  (after the path to the generated code)


def host_port(raw):
    host, _, port = raw.rpartition(":")
    return host, int(port)


def answer(tower, command):
    op = command.get("op")
    if op == "enqueue":
        return {"id": tower.enqueue(command["payload"].encode()).hex()}
    if op == "pause":
        tower.paused = True
        return {}
    if op == "resume":
        tower.paused = False
        return {}
    if op == "peek":
        return {"held": [{"id": held.id.hex(), "hops": held.hops, "state": state} for held, state in tower.held()]}
    if op == "survey":
        return {"peers": [{"hostname": p.hostname, "port": p.port, "status": p.status, "since": p.since} for p in tower.peers.values()]}
    if op == "stats":
        held = tower.held()
        return {
            "queued": len(tower.queue),
            "in_flight": sum(1 for _, state in held if state == "in-flight"),
            "in_doubt": sum(1 for _, state in held if state == "in-doubt"),
            "counters": dict(tower.counters),
            "received_from": dict(tower.received_from),
        }
    if op == "expand":
        tower.expand(command["hostname"], int(command["port"]), bool(command.get("announce")))
        return {}
    raise ValueError(f"unknown op {op!r}")


async def control(tower):
    reader = asyncio.StreamReader(limit=16 * 1024 * 1024)
    await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        if not line.strip():
            continue
        try:
            command = json.loads(line)
            reply = {"op": command.get("op"), "ok": True, **answer(tower, command)}
        except (ValueError, KeyError, TypeError) as error:
            reply = {"ok": False, "error": str(error)}
        print(json.dumps(reply), flush=True)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hostname", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--sendrate", type=float, default=100.0, help="messages per second")
    parser.add_argument("--killtimeout", type=int, default=3_600_000, help="ms before a lost peer is dead")
    parser.add_argument("--handshake-timeout", type=float, default=10.0, help="seconds")
    parser.add_argument("--expand", action="append", default=[], type=host_port, help="HOST:PORT of a peer to add")
    parser.add_argument("--announce", action="append", default=[], type=host_port, help="HOST:PORT to announce this tower to")
    args = parser.parse_args()
    tower = Tower(args.hostname, args.port, args.cert, args.key, sendrate=args.sendrate,
                  killtimeout_ms=args.killtimeout, handshake_timeout=args.handshake_timeout)
    server = await tower.start()
    for host, port in args.expand:
        tower.expand(host, port)
    for host, port in args.announce:
        tower.expand(host, port, announce=True)
    print(json.dumps({"event": "listening", "port": tower.port, "instance_id": tower.instance_id.hex()}), flush=True)
    async with server:
        await control(tower)  # ends when stdin closes


if __name__ == "__main__":
    asyncio.run(main())
