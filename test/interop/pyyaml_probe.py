"""Read YAML texts as cloud-init reads them; print JSON of what it makes of them.

  /usr/bin/python3 test/interop/pyyaml_probe.py load < texts.json
  -> per text {"value": V} or {"error": MESSAGE}: yaml.safe_load (PyYAML)
  ... cloud-config < texts.json
  -> per text {"value": {"files": [...], "runcmd": TEXT}} or {"error": ...}:
     what cloud-init 22.4's cc_write_files and cc_runcmd take from a
     #cloud-config (needs the cloud-init tree of scripts/test-deps.sh)

stdin: a JSON list of texts; stdout: a JSON list, one answer per text.
V is the value as JSON, with what JSON lacks spelled out: {"float": "inf"},
{"date": ISO}, {"binary": BASE64}; keys as json.dumps writes them (True ->
"true", 420 -> "420").
"""
import base64, datetime, json, math, os, sys

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.append(os.path.join(_REPO, ".cache/cloud-init/usr/lib/python3/dist-packages"))


def norm(v):
    if v is None or isinstance(v, (bool, str, int)):
        return v
    if isinstance(v, float):
        return {"float": repr(v)} if math.isnan(v) or math.isinf(v) else v
    if isinstance(v, (datetime.date, datetime.datetime)):
        return {"date": v.isoformat()}
    if isinstance(v, bytes):
        return {"binary": base64.b64encode(v).decode("ascii")}
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        return {key(k): norm(x) for k, x in v.items()}
    return {"python": type(v).__name__}


def key(k):
    if isinstance(k, str):
        return k
    if k is None or isinstance(k, (bool, int, float)):
        return json.dumps(k)
    return json.dumps(norm(k))


def load(text):
    import yaml

    return norm(yaml.safe_load(text))


def cloud_config(text):
    from cloudinit import safeyaml, util
    from cloudinit.config import cc_write_files as wf

    cfg = safeyaml.load(text) or {}
    files = []
    for f in cfg.get("write_files") or []:
        contents = wf.extract_contents(f.get("content", ""), wf.canonicalize_extraction(f.get("encoding")))
        if isinstance(contents, str):
            contents = contents.encode("utf-8")  # util.write_file's encode_text
        files.append({"path": f.get("path"),
                      "mode": wf.decode_perms(f.get("permissions"), wf.DEFAULT_PERMS),
                      "append": util.get_cfg_option_bool(f, "append"),
                      "owner": norm(f.get("owner", "root:root")),
                      "content": base64.b64encode(contents).decode("ascii")})
    runcmd = util.shellify(cfg["runcmd"], add_header=False) if cfg.get("runcmd") else ""
    return {"files": files, "runcmd": runcmd}


def main():
    probe = {"load": load, "cloud-config": cloud_config}[sys.argv[1]]
    answers = []
    for text in json.load(sys.stdin):
        try:
            answers.append({"value": probe(text)})
        except Exception as e:  # PyYAML's and cloud-init's errors alike
            answers.append({"error": "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")})
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
