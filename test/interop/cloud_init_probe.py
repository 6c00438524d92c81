"""Run user data through Debian's real cloud-init; print what it makes of it.

  PYTHONPATH=$REPO/.cache/cloud-init/usr/lib/python3/dist-packages \\
    /usr/bin/python3 test/interop/cloud_init_probe.py userdata FILE
  -> {"parts": [{"content_type", "filename", "payload_b64"}, ...]}
  ... datasource nocloud|opennebula|configdrive DIR
  -> {"found", "instance_id", "hostname", "public_keys", "userdata_b64", "metadata"}
  (subcommand `version` -> {"version": "22.4.2", "module": PATH})

FILE: raw user data, plain/multipart/gzipped (cloud-init gunzips it).
Parts are walked like cloudinit.handlers.walk(); payload_b64 is
part.get_payload(decode=True). Handlers then decode it as UTF-8 whatever the
charset (util.fully_decoded_payload). Exit 0: JSON on stdout, stderr empty
unless cloud-init logged a warning; on failure non-zero with a message.
"""
import base64, json, logging, os, sys, tempfile

# Fallback when PYTHONPATH is not set: the tree unpacked by scripts/test-deps.sh.
_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.append(os.path.join(_REPO, ".cache/cloud-init/usr/lib/python3/dist-packages"))


class _Keep(logging.Handler):
    """Hold cloud-init's warnings; without a handler they would hit stderr."""
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append("%s: %s" % (record.levelname, record.getMessage()))


def userdata(path):
    from cloudinit import helpers, user_data

    with open(path, "rb") as f:
        data = f.read()
    with tempfile.TemporaryDirectory(prefix="ci-probe-") as tmp:
        paths = helpers.Paths({"cloud_dir": os.path.join(tmp, "cloud"),
                               "run_dir": os.path.join(tmp, "run"),
                               "templates_dir": os.path.join(tmp, "templates")})
        msg = user_data.UserDataProcessor(paths).process(data)
    parts = []
    for part in msg.walk():
        if part.get_content_maintype() == "multipart":
            continue  # containers, skipped like cloudinit.handlers.walk()
        payload = part.get_payload(decode=True) or b""
        parts.append({"content_type": part.get_content_type(),
                      "filename": part.get_filename(),
                      "payload_b64": base64.b64encode(payload).decode("ascii")})
    return {"parts": parts}


def datasource(kind, seed):
    """cloud-init's own datasource class reading SEED as its seed directory."""
    import copy
    from cloudinit import distros, helpers, settings
    from cloudinit.sources import DataSourceConfigDrive, DataSourceNoCloud, DataSourceOpenNebula

    classes = {"nocloud": (DataSourceNoCloud.DataSourceNoCloud, "nocloud"),
               "opennebula": (DataSourceOpenNebula.DataSourceOpenNebula, "opennebula"),
               "configdrive": (DataSourceConfigDrive.DataSourceConfigDrive, "config_drive")}
    cls, seed_name = classes[kind]
    with tempfile.TemporaryDirectory(prefix="ci-probe-") as tmp:
        os.makedirs(os.path.join(tmp, "cloud", "seed"))
        os.symlink(os.path.abspath(seed), os.path.join(tmp, "cloud", "seed", seed_name))
        paths = helpers.Paths({"cloud_dir": os.path.join(tmp, "cloud"), "run_dir": os.path.join(tmp, "run")})
        cfg = copy.deepcopy(settings.CFG_BUILTIN)
        # Read context.sh as this user: the default runs it through `sudo -u nobody`.
        cfg.setdefault("datasource", {})["OpenNebula"] = {"parseuser": None}
        distro = distros.fetch("debian")("debian", {}, paths)
        ds = cls(cfg, distro, paths)
        found = ds._get_data()
        raw = ds.get_userdata_raw()
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        meta = {k: v for k, v in (ds.metadata or {}).items() if isinstance(v, str)}
        return {"found": bool(found), "instance_id": ds.get_instance_id(),
                "hostname": ds.get_hostname().hostname, "public_keys": ds.get_public_ssh_keys(),
                "userdata_b64": None if raw is None else base64.b64encode(raw).decode("ascii"),
                "metadata": meta}


def version():
    import cloudinit
    from cloudinit import version as v
    return {"version": v.version_string(), "module": os.path.dirname(cloudinit.__file__)}


def main(argv):
    keep = _Keep()
    logging.getLogger().addHandler(keep)  # also stops logging's lastResort
    logging.getLogger().setLevel(logging.WARNING)
    try:
        if argv[1:2] == ["userdata"] and len(argv) == 3:
            result = userdata(argv[2])
        elif argv[1:2] == ["datasource"] and len(argv) == 4:
            result = datasource(argv[2], argv[3])
        elif argv[1:] == ["version"]:
            result = version()
        else:
            sys.stderr.write("usage: %s userdata FILE | datasource nocloud|opennebula|configdrive DIR | version\n" % argv[0])
            return 2
    except Exception as e:  # report, with what cloud-init logged
        sys.stderr.write("".join(m + "\n" for m in keep.messages))
        hint = " (run scripts/test-deps.sh)" if isinstance(e, ImportError) else ""
        sys.stderr.write("cloud_init_probe: %s: %s%s\n" % (type(e).__name__, e, hint))
        return 1
    sys.stderr.write("".join(m + "\n" for m in keep.messages))  # warnings only
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
