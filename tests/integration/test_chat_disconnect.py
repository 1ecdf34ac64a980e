"""A client going away cancels the upstream transfer at once: a stream whose provider stalls
(with the default 30 s idle deadline) is dropped by the client after a few chunks; the
generation is settled within a second as cancelled, with the attempt marked cancelled. The same
for a non-streaming request whose provider never answers.
"""
import socket
import time

from sy_cluster import Cluster, sse, wait_until

MSGS = [{"role": "user", "content": "hi"}]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pa", "Provider A")
        c.add_model("f/stall", [("pa", "echo@fault=stream-stall")])
        c.add_model("f/mute", [("pa", "echo@fault=no-response")])
        c.wait_models(dp, key, "f/stall", "f/mute")
        auth = {"Authorization": "Bearer " + key}

        t0 = time.time()
        s, h, events, _ = sse("POST", dp.url + "/api/v1/chat/completions",
                              {"model": "f/stall", "messages": MSGS, "stream": True}, auth,
                              stop_after=3)
        assert s == 200 and len(events) >= 3, (s, events)
        g = c.generation(dp, key, h["X-Generation-Id"], timeout=5)
        assert time.time() - t0 < 3, "settled long before the idle deadline"
        assert g["cancelled"] is True and g["streamed"] is True, g
        assert [a["error_class"] for a in g["provider_responses"]] == ["cancelled"], g

        # non-streaming: the client hangs up while the provider is silent
        body = b'{"model":"f/mute","messages":[{"role":"user","content":"hi"}]}'
        sock = socket.create_connection(("127.0.0.1", dp.port))
        sock.sendall(b"POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                     b"Authorization: Bearer " + key.encode() + b"\r\n"
                     b"Content-Type: application/json\r\nContent-Length: " +
                     str(len(body)).encode() + b"\r\n\r\n" + body)
        wait_until(lambda: c.mock_stats()["requests"].get("pa|echo@fault=no-response") == 1, 5,
                   what="the request to reach the provider")
        sock.close()
        def settled():
            return any("model=f/mute" in line and "cancelled=1 class=cancelled" in line
                       for line in dp.log().splitlines())
        wait_until(settled, 3, what="the chat to settle as cancelled")
    print("ok")


if __name__ == "__main__":
    main()
