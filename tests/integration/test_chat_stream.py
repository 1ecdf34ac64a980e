"""Streaming chat completion: SSE passed through chunk by chunk as it arrives, our id/provider/
model on every chunk with one created, normalised finish reasons, a final usage chunk with
choices [] and the cost, then [DONE]; include_usage requested upstream; the generation record
says streamed.
"""
import http.client as httpc
import json
import math
import time
from decimal import Decimal

from sy_cluster import Cluster, http, sse_data

TEXT = "Tell me a story about a lighthouse."


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        # 20 tokens at 20/s: a second of streaming to see that chunks are not buffered
        c.add_model("mock/paced", [("mock", "echo@tps=20,tokens=20")])
        c.wait_models(dp, key, "mock/paced")

        s, h, events, rest = c.chat_stream(dp, key, {"model": "mock/echo", "messages": [
            {"role": "user", "content": TEXT}]})
        assert s == 200, (s, rest)
        assert h["Content-Type"].startswith("text/event-stream"), h
        gid = h["X-Generation-Id"]
        data = sse_data(events)
        assert all(e.startswith("data: ") or e.startswith(": OPENROUTER PROCESSING")
                   for e in events), events
        assert data[-1] == "[DONE]" and rest == "", (data[-1], rest)
        chunks = data[:-1]
        created = {ch["created"] for ch in chunks}
        assert len(created) == 1, created
        for ch in chunks:
            assert ch["id"] == gid, ch
            assert ch["object"] == "chat.completion.chunk", ch
            assert ch["model"] == "mock/echo" and ch["provider"] == "Mock", ch
        content = "".join(ch["choices"][0]["delta"].get("content") or ""
                          for ch in chunks if ch["choices"])
        assert content == " ".join(f"tok{i}" for i in range(16)), content
        finals = [ch for ch in chunks if ch["choices"] and ch["choices"][0]["finish_reason"]]
        assert len(finals) == 1, finals
        assert finals[0]["choices"][0]["finish_reason"] == "stop", finals
        assert finals[0]["choices"][0]["native_finish_reason"] == "stop", finals
        usage_chunk = chunks[-1]
        assert usage_chunk["choices"] == [], usage_chunk
        u = usage_chunk["usage"]
        prompt = math.ceil(len(TEXT) / 4)
        assert u["prompt_tokens"] == prompt and u["completion_tokens"] == 16, u
        assert u["total_tokens"] == prompt + 16, u
        cost = float(prompt * Decimal("0.000001") + 16 * Decimal("0.000002"))
        assert math.isclose(u["cost"], cost, abs_tol=1e-12), u
        assert sum(1 for ch in chunks if "usage" in ch) == 1, "usage only in the last chunk"

        # the upstream was asked for usage in the stream
        _, last, _ = http("GET", f"http://127.0.0.1:{c.mock_port}/mock/last")
        assert last["body"]["stream"] is True, last
        assert last["body"]["stream_options"] == {"include_usage": True}, last

        g = c.generation(dp, key, gid)
        assert g["streamed"] is True and g["cancelled"] is False, g
        assert g["finish_reason"] == "stop" and g["tokens_completion"] == 16, g
        assert math.isclose(g["total_cost"], cost, abs_tol=1e-12), g

        # paced upstream: the client sees chunks spread over the second, not all at the end
        conn = httpc.HTTPConnection("127.0.0.1", dp.port, timeout=10)
        conn.request("POST", "/api/v1/chat/completions", json.dumps(
            {"model": "mock/paced", "stream": True, "messages": [{"role": "user", "content": "x"}]}),
            {"Authorization": "Bearer " + key, "Content-Type": "application/json"})
        r = conn.getresponse()
        assert r.status == 200, r.status
        arrivals, buf = [], b""
        t0 = time.time()
        while True:
            piece = r.read1(65536)
            if not piece:
                break
            buf += piece
            while b"\n\n" in buf:
                ev, buf = buf.split(b"\n\n", 1)
                if b'"content":"' in ev and b'"content":""' not in ev:
                    arrivals.append(time.time() - t0)
        conn.close()
        assert len(arrivals) == 20, arrivals
        assert arrivals[-1] - arrivals[0] > 0.6, arrivals  # spread out, as the upstream sent them
    print("ok")


if __name__ == "__main__":
    main()
