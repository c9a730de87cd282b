#!/usr/bin/env python3
"""A small IPFIX collector (RFC 7011) for the monitor's end-to-end test.

Listens on UDP 127.0.0.1:PORT (PORT 0: any; the port is written to PORTFILE),
parses every message per RFC 7011 -- the 16-byte header, sets, template
records (set id 2) kept per (observation domain, template id), data sets
decoded with their template (enterprise-specific fields skipped by their
length) -- and on receiving the datagram b"STOP" writes every decoded data
record as a JSON list to OUTFILE: one object per record, keyed by IANA
information element names, plus the message's domain and sequence number.
Structural errors (bad version, lengths that do not add up, data before its
template) are counted in the output instead of being skipped silently.
"""
import json
import socket
import struct
import sys

IE_NAMES = {
    1: "octetDeltaCount", 2: "packetDeltaCount", 4: "protocolIdentifier",
    6: "tcpControlBits", 7: "sourceTransportPort", 8: "sourceIPv4Address",
    11: "destinationTransportPort", 12: "destinationIPv4Address",
    136: "flowEndReason", 152: "flowStartMilliseconds", 153: "flowEndMilliseconds",
}


def parse_message(msg, templates, out, errors):
    if len(msg) < 16:
        errors.append("short message")
        return
    version, length, export_time, seq, domain = struct.unpack("!HHIII", msg[:16])
    if version != 10 or length != len(msg):
        errors.append(f"bad header: version {version}, length {length} of {len(msg)}")
        return
    off = 16
    while off < length:
        set_id, set_len = struct.unpack("!HH", msg[off:off + 4])
        if set_len < 4 or off + set_len > length:
            errors.append(f"bad set length {set_len} at {off}")
            return
        body = msg[off + 4:off + set_len]
        if set_id == 2:
            parse_templates(body, domain, templates, errors)
        elif set_id >= 256:
            tmpl = templates.get((domain, set_id))
            if tmpl is None:
                errors.append(f"data set {set_id} before its template")
            else:
                parse_data(body, tmpl, domain, seq, export_time, out, errors)
        off += set_len


def parse_templates(body, domain, templates, errors):
    p = 0
    while p + 4 <= len(body):
        tid, count = struct.unpack("!HH", body[p:p + 4])
        p += 4
        fields = []
        for _ in range(count):
            ie, flen = struct.unpack("!HH", body[p:p + 4])
            p += 4
            if ie & 0x8000:  # enterprise bit: a 4-byte enterprise number follows
                p += 4
                fields.append((None, flen))
            else:
                fields.append((IE_NAMES.get(ie, f"ie{ie}"), flen))
        templates[(domain, tid)] = fields


def parse_data(body, tmpl, domain, seq, export_time, out, errors):
    rec_len = sum(flen for _, flen in tmpl)
    if rec_len == 0 or len(body) % rec_len > 3:  # at most 3 bytes of padding
        errors.append(f"data set of {len(body)} bytes for {rec_len}-byte records")
        return
    for p in range(0, len(body) - rec_len + 1, rec_len):
        rec = {"_domain": domain, "_seq": seq, "_export_time": export_time}
        q = p
        for name, flen in tmpl:
            if name:
                rec[name] = int.from_bytes(body[q:q + flen], "big")
            q += flen
        out.append(rec)


def main():
    port, portfile, outfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    with open(portfile, "w") as f:
        f.write(str(s.getsockname()[1]))
    templates, records, errors, messages = {}, [], [], 0
    while True:
        msg = s.recv(65535)
        if msg == b"STOP":
            break
        messages += 1
        parse_message(msg, templates, records, errors)
    with open(outfile, "w") as f:
        json.dump({"messages": messages, "templates": len(templates), "errors": errors,
                   "records": records}, f)


if __name__ == "__main__":
    main()
