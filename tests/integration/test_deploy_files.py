"""The deployment files are valid: docker-compose config, haproxy -c on both renderings of
deploy/haproxy.cfg, promtool on deploy/prometheus.yml, the Kubernetes manifests (YAML, a
kustomize build, and cross-references between objects), the Dockerfile's runtime packages
against the binaries' shared libraries, and the scripts' syntax and --help.

Needs Debian packages: docker-compose, haproxy, prometheus (promtool), python3-yaml,
shellcheck; and kubectl when installed (it is not in Debian: without it the kustomization is
built by kustomize_lite). There is no container engine here: files are validated, not run.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEPLOY = os.path.join(ROOT, "deploy")
BIN = os.environ.get("SY_BIN", os.path.join(ROOT, "build", "bin"))


def run(argv, env=None, cwd=None, ok=True):
    e = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHYARD_")}
    e.update(env or {})
    p = subprocess.run(argv, env=e, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=120)
    out = p.stdout.decode(errors="replace")
    if ok and p.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {p.returncode}:\n{out}")
    return p.returncode, out


def need(cmd, pkg):
    assert shutil.which(cmd), f"{cmd} is not installed (Debian package {pkg})"


def volume(v):
    """(source, target) of a compose volume in short ("src:dst:mode") or long form."""
    if isinstance(v, dict):
        return str(v.get("source", "")), v["target"]
    parts = v.split(":")
    return (parts[0], parts[1]) if len(parts) > 1 else ("", parts[0])


def port_host_ip(p):
    """The host address a compose port is published on ("" = all addresses)."""
    if isinstance(p, dict):
        return p.get("host_ip", "")
    parts = str(p).split(":")
    return parts[0] if len(parts) == 3 else ""


def check_compose():
    need("docker-compose", "docker-compose")
    f = os.path.join(DEPLOY, "docker-compose.yml")
    run(["docker-compose", "-f", f, "config", "-q"])
    _, out = run(["docker-compose", "-f", f, "config"])
    cfg = yaml.safe_load(out)
    svc = cfg["services"]
    assert set(svc) == {"controlplane", "dataplane", "haproxy", "keys", "mock",
                        "prometheus"}, sorted(svc)
    # Prometheus is optional: only with --profile monitoring.
    assert svc["prometheus"]["profiles"] == ["monitoring"], svc["prometheus"]
    assert not any(s.get("profiles") for n, s in svc.items() if n != "prometheus")
    assert svc["dataplane"]["deploy"]["replicas"] == 3
    dp_cmd = svc["dataplane"]["command"]
    assert dp_cmd[0] == "dataplane" and "--controlplane" in dp_cmd, dp_cmd
    assert dp_cmd[dp_cmd.index("--controlplane") + 1] == "controlplane"
    cp = svc["controlplane"]
    assert ("controlplane-data", "/var/lib/switchyard") in map(volume, cp["volumes"]), cp
    # Each dataplane replica keeps its usage spool on its own volume.
    assert "/var/spool/switchyard" in [volume(v)[1] for v in svc["dataplane"]["volumes"]]
    assert "controlplane-data" in cfg["volumes"]
    # The demo catalog is mounted where --catalog reads it, and it exists.
    cat = dict((t, s) for s, t in map(volume, cp["volumes"]))["/etc/switchyard/catalog.json"]
    assert cat.endswith("deploy/catalog.demo.json") and os.path.isfile(cat), cat
    assert cp["command"][cp["command"].index("--catalog") + 1] == "/etc/switchyard/catalog.json"
    assert "SWITCHYARD_ADMIN_KEY" in cp["environment"] and "SWITCHYARD_KEK" in cp["environment"]
    # CURVE: keys from the one-shot keys service; a dataplane sees only its side's volume.
    cp_mounts, dp_mounts = dict(map(volume, cp["volumes"])), dict(map(volume, svc["dataplane"]["volumes"]))
    assert "curve-cp" in cp_mounts and "curve-cp" not in dp_mounts, (cp_mounts, dp_mounts)
    for flag, where in (("--curve-secret-file", cp_mounts["curve-cp"]),
                        ("--curve-authorized", cp_mounts["curve-cp"])):
        assert cp["command"][cp["command"].index(flag) + 1].startswith(where + "/"), flag
    for flag in ("--curve-secret-file", "--curve-server-key"):
        assert dp_cmd[dp_cmd.index(flag) + 1].startswith(dp_mounts["curve-dp"] + "/"), flag
    assert svc["keys"]["command"][0] == "keys", svc["keys"]
    assert cp["depends_on"]["keys"]["condition"] == "service_completed_successfully"
    for name in ("controlplane", "dataplane"):  # ZeroMQ is never published on the host
        assert not any(str(p).endswith(("5555", "5556", "5557"))
                       for p in svc[name].get("ports", [])), svc[name].get("ports")
    hap = svc["haproxy"]
    assert any(volume(v)[0].endswith("deploy/haproxy.cfg") for v in hap["volumes"]), hap
    # Published ports default to loopback only.
    for name in ("controlplane", "haproxy"):
        for p in svc[name].get("ports", []):
            assert port_host_ip(p) == "127.0.0.1", (name, p)
    # The secrets are taken from the environment when given.
    _, out = run(["docker-compose", "-f", f, "config"],
                 env={"SWITCHYARD_ADMIN_KEY": "sk-sy-mgmt-v1-" + "cd" * 32})
    assert yaml.safe_load(out)["services"]["controlplane"]["environment"][
        "SWITCHYARD_ADMIN_KEY"] == "sk-sy-mgmt-v1-" + "cd" * 32
    # The validation can fail: a broken file is refused.
    with tempfile.TemporaryDirectory() as d:
        bad = os.path.join(d, "docker-compose.yml")
        with open(f) as src, open(bad, "w") as dst:
            dst.write(src.read().replace("replicas: 3", "replicas: three"))
        rc, _ = run(["docker-compose", "-f", bad, "config", "-q"], ok=False)
        assert rc != 0, "docker-compose accepted replicas: three"


def haproxy_check(path, env):
    return run(["haproxy", "-c", "-f", path], env=env, ok=False)


def check_haproxy():
    need("haproxy", "haproxy")
    env = {"SY_HAPROXY_BIND": "127.0.0.1:18080", "SY_HAPROXY_STATS": "127.0.0.1:18404"}
    # As docker-compose mounts it.
    rc, out = haproxy_check(os.path.join(DEPLOY, "haproxy.cfg"), env)
    assert rc == 0, out
    # As local-cluster.sh renders it for 3 dataplanes + 2 spare slots.
    _, cfg = run(["bash", os.path.join(DEPLOY, "local-cluster.sh"), "haproxy-config", "3"],
                 env={"SY_DP_PORT": "18091", "SY_SPARES": "2"})
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "haproxy.cfg")
        with open(path, "w") as fh:
            fh.write(cfg)
        rc, out = haproxy_check(path, env)
        assert rc == 0, out + cfg
        servers = re.findall(r"^\s+server (\S+) (\S+)\s*$", cfg, re.M)
        assert servers == [(f"dp{i}", f"127.0.0.1:{18090 + i}") for i in range(1, 6)], servers
        live = "\n".join(l for l in cfg.splitlines() if not l.lstrip().startswith("#"))
        assert "resolvers" not in live and "server-template" not in live, cfg
        backend = cfg[cfg.index("backend dataplanes"):]
        assert "balance leastconn" in backend
        assert re.search(r"http-check send meth GET uri /ready\b", backend), backend
        assert re.search(r"timeout (client|server) 15m", cfg)
        # The check can fail: a typo in the rendered file is refused.
        with open(path, "w") as fh:
            fh.write(cfg.replace("balance leastconn", "balance leastconns"))
        rc, out = haproxy_check(path, env)
        assert rc != 0, "haproxy accepted 'balance leastconns'"


def check_prometheus():
    need("promtool", "prometheus")
    run(["promtool", "check", "config", os.path.join(DEPLOY, "prometheus.yml")])
    with open(os.path.join(DEPLOY, "prometheus.yml")) as fh:
        jobs = {j["job_name"]: j for j in yaml.safe_load(fh)["scrape_configs"]}
    assert jobs["switchyard-dataplane"]["dns_sd_configs"][0]["names"] == ["dataplane"]
    assert jobs["switchyard-controlplane"]["static_configs"][0]["targets"] == ["controlplane:8081"]
    assert jobs["haproxy"]["static_configs"][0]["targets"] == ["haproxy:8404"]


def pod_spec(obj):
    return obj["spec"]["template"]["spec"]


def kustomize_lite(k8s):
    """What `kubectl kustomize` makes of deploy/k8s for the fields checked here: the resources,
    the namespace on every namespaced object, the configMapGenerator's ConfigMaps (named as
    written: kubectl adds a content hash to the name and to every reference alike) and the
    common labels. Any other kustomization field fails the test, so it cannot be ignored."""
    with open(os.path.join(k8s, "kustomization.yaml")) as fh:
        kz = yaml.safe_load(fh)
    known = {"apiVersion", "kind", "namespace", "resources", "configMapGenerator", "images",
             "labels"}
    assert set(kz) <= known, f"kustomization fields not modelled here: {set(kz) - known}"
    objs = []
    for r in kz["resources"]:
        with open(os.path.join(k8s, r)) as fh:
            objs += [d for d in yaml.safe_load_all(fh) if d]
    for g in kz.get("configMapGenerator", []):
        data = {}
        for f in g["files"]:
            key, _, path = f.partition("=")
            with open(os.path.join(k8s, path or key)) as fh:
                data[key] = fh.read()
        objs.append({"apiVersion": "v1", "kind": "ConfigMap",
                     "metadata": {"name": g["name"]}, "data": data})
    labels = {}
    for lab in kz.get("labels", []):
        labels.update(lab["pairs"])
    for o in objs:
        if o["kind"] != "Namespace":
            o["metadata"]["namespace"] = kz["namespace"]
        o["metadata"].setdefault("labels", {}).update(labels)
    return objs


def check_k8s():
    k8s = os.path.join(DEPLOY, "k8s")
    files = sorted(f for f in os.listdir(k8s) if f.endswith(".yaml"))
    assert "kustomization.yaml" in files, files
    for f in files:
        with open(os.path.join(k8s, f)) as fh:
            docs = [d for d in yaml.safe_load_all(fh) if d is not None]
        assert docs, f"{f} is empty"
        for d in docs:
            assert "kind" in d and "apiVersion" in d, (f, d)
    if shutil.which("kubectl"):
        _, out = run(["kubectl", "kustomize", "--load-restrictor", "LoadRestrictionsNone", k8s])
        objs = [d for d in yaml.safe_load_all(out) if d]
    else:
        print("notice: kubectl is not installed (Debian has no package for it): the manifests"
              " are built from kustomization.yaml by this test instead of by kubectl")
        objs = kustomize_lite(k8s)
    by = {}
    for o in objs:
        by.setdefault(o["kind"], {})[o["metadata"]["name"]] = o
        if o["kind"] != "Namespace":
            assert o["metadata"].get("namespace") == "switchyard", o["metadata"]
    sts = by["StatefulSet"]["switchyard-controlplane"]
    assert sts["spec"]["replicas"] == 1
    assert sts["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    dep = by["Deployment"]["switchyard-dataplane"]
    c = pod_spec(dep)["containers"][0]
    assert c["readinessProbe"]["httpGet"]["path"] == "/ready", c["readinessProbe"]
    assert c["livenessProbe"]["httpGet"]["path"] == "/health", c["livenessProbe"]
    assert c["args"][c["args"].index("--controlplane") + 1] == "switchyard-controlplane"
    hpa = by["HorizontalPodAutoscaler"]["switchyard-dataplane"]
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": "switchyard-dataplane"}
    assert hpa["spec"]["minReplicas"] >= 2
    pdb = by["PodDisruptionBudget"]["switchyard-dataplane"]
    labels = dep["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    # Every Service selects some pod template and names ports its containers declare.
    workloads = list(by["Deployment"].values()) + list(by["StatefulSet"].values())
    for name, svc in by["Service"].items():
        sel = svc["spec"]["selector"]
        pods = [w for w in workloads
                if sel.items() <= w["spec"]["template"]["metadata"]["labels"].items()]
        assert len(pods) == 1, (name, sel)
        declared = {p["name"] for cc in pod_spec(pods[0])["containers"] for p in cc["ports"]}
        for p in svc["spec"]["ports"]:
            assert p["targetPort"] in declared, (name, p, declared)
    assert by["Service"]["switchyard-controlplane"]["spec"]["ports"]
    # Every Secret and ConfigMap a workload refers to exists, with the keys it asks for.
    for w in workloads:
        spec = pod_spec(w)
        for cc in spec["containers"]:
            for e in cc.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    sec = by["Secret"][ref["name"]]
                    assert ref["key"] in sec.get("stringData", sec.get("data", {})), ref
            for ef in cc.get("envFrom", []):
                assert ef["secretRef"]["name"] in by["Secret"], ef
            mounts = {m["name"] for m in cc.get("volumeMounts", [])}
            vols = {v["name"] for v in spec.get("volumes", [])}
            vols |= {t["metadata"]["name"] for t in w["spec"].get("volumeClaimTemplates", [])}
            assert mounts <= vols, (w["metadata"]["name"], mounts, vols)
        for v in spec.get("volumes", []):
            if "configMap" in v:
                cm = by["ConfigMap"][v["configMap"]["name"]]
                assert "catalog.json" in cm["data"], cm["data"].keys()
    with open(os.path.join(DEPLOY, "catalog.demo.json")) as fh:
        catalog = fh.read()
    cm = next(iter(by["ConfigMap"].values()))
    assert cm["data"]["catalog.json"] == catalog, "the catalog ConfigMap is not the demo catalog"
    # The placeholders in the Secret are not usable keys (the controlplane must refuse them).
    sec = by["Secret"]["switchyard-controlplane"]["stringData"]
    assert not re.fullmatch(r"[0-9a-f]{64}", sec["kek"])
    # CURVE on both sides, its keys mounted from Secrets as files (never in args or env).
    cp_c = pod_spec(sts)["containers"][0]
    for w, c_, flags in ((sts, cp_c, ("--curve-secret-file", "--curve-authorized")),
                         (dep, c, ("--curve-secret-file", "--curve-server-key"))):
        vols = {v["name"]: v for v in pod_spec(w)["volumes"]}
        mounts = {m["mountPath"]: m["name"] for m in c_["volumeMounts"]}
        for flag in flags:
            path = c_["args"][c_["args"].index(flag) + 1]
            vol = vols[mounts[os.path.dirname(path)]]
            sec = by["Secret"][vol["secret"]["secretName"]]["stringData"]
            assert os.path.basename(path) in sec, (flag, path, sec.keys())


def owner(path):
    """The Debian package that installed path (trying both sides of the merged /usr)."""
    real = os.path.realpath(path)
    for p in (path, real, "/usr" + real, real.replace("/usr/", "/", 1)):
        rc, out = run(["dpkg", "-S", p], ok=False)
        if rc == 0:
            return out.split(":")[0].strip()
    raise AssertionError(f"no package owns {path}")


def check_dockerfile():
    with open(os.path.join(DEPLOY, "Dockerfile")) as fh:
        text = fh.read()
    stages = re.findall(r"^FROM (\S+)", text, re.M)
    assert stages[0].startswith("debian:bookworm") and stages[-1].startswith("debian:bookworm"), stages
    assert len(stages) == 2, stages
    runtime = text[text.rindex("\nFROM "):]
    assert "make MODE=release" in text[:text.rindex("\nFROM ")]
    user = re.findall(r"^USER (\S+)", runtime, re.M)
    assert user and not user[-1].startswith(("root", "0")), user
    for b in ("switchyard-controlplane", "switchyard-dataplane", "switchyard-mock"):
        assert f"/src/build/release/bin/{b}" in runtime, b
    m = re.search(r"apt-get install -y --no-install-recommends\s*\\\n(.*?)&&", runtime, re.S)
    assert m, "no apt-get install in the runtime stage"
    pkgs = set(m.group(1).replace("\\", " ").split())
    assert not any(p.endswith("-dev") for p in pkgs), pkgs
    # Every shared library the binaries need directly comes from a package the runtime stage
    # installs (or libc, which debian:bookworm-slim has).
    base = {"libc6"}
    for b in ("switchyard-controlplane", "switchyard-dataplane", "switchyard-mock"):
        path = os.path.join(BIN, b)
        assert os.access(path, os.X_OK), f"{path} not built"
        _, out = run(["readelf", "-d", path])
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(\S+)\]", out)
        _, out = run(["ldd", path])
        where = dict(re.findall(r"^\s*(\S+) => (\S+)", out, re.M))
        for lib in needed:
            if lib.startswith(("libasan.", "libubsan.")):
                continue  # MODE=asan test binaries; the image is built with MODE=release
            pkg = owner(where[lib])
            assert pkg in pkgs | base, f"{b} needs {lib} from {pkg}, not in the runtime stage"
    for sh in ("docker-entrypoint.sh",):
        run(["sh", "-n", os.path.join(DEPLOY, sh)])


def check_scripts():
    bench = ("bench/run.sh", "bench/streams.sh", "bench/cluster.sh", "bench/flat.sh")
    scripts = ("deploy/run-local.sh", "deploy/local-cluster.sh", "deploy/lib.sh") + bench
    for s in scripts:
        run(["bash", "-n", os.path.join(ROOT, s)])
    need("shellcheck", "shellcheck")
    run(["shellcheck", "-S", "warning", "-x"] + list(scripts), cwd=ROOT)
    run(["shellcheck", "-S", "warning", "-s", "sh", "deploy/docker-entrypoint.sh"], cwd=ROOT)
    for s in ("deploy/run-local.sh", "deploy/local-cluster.sh") + bench:
        _, out = run(["bash", os.path.join(ROOT, s), "--help"])
        assert out.startswith("usage:"), (s, out)
    _, out = run(["sh", os.path.join(DEPLOY, "docker-entrypoint.sh"), "--help"])
    assert "controlplane|dataplane|mock" in out, out
    rc, out = run(["sh", os.path.join(DEPLOY, "docker-entrypoint.sh"), "nonsense"], ok=False)
    assert rc == 2 and "unknown command" in out, (rc, out)


def main():
    checks = [check_compose, check_haproxy, check_prometheus, check_k8s, check_dockerfile,
              check_scripts]
    failed = 0
    for c in checks:
        try:
            c()
            print(f"ok   {c.__name__}")
        except Exception as e:  # report every check, then fail
            failed += 1
            print(f"FAIL {c.__name__}: {type(e).__name__}: {e}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
