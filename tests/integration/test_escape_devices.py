"""Device escapes through the config and the image: device numbers beyond the
kernel's dev_t or negative (truncated into another device, or read as a wildcard)
are refused before anything is made, with the JSON path named."""

import pytest

import capsa_harness as h

KMSG_RULE_2_32 = 4294967296 + 11      # (int32_t) 11: "c 1:11" in the eBPF program


@pytest.mark.parametrize("where,value,path", [
    ("node", {"major": 4294967297}, "linux.devices[0].major"),      # makedev: major 1
    ("node", {"minor": 1 << 20}, "linux.devices[0].minor"),
    ("node", {"major": -1}, "linux.devices[0].major"),
    ("rule", {"minor": KMSG_RULE_2_32}, "linux.resources.devices[1].minor"),
    ("rule", {"major": -2}, "linux.resources.devices[1].major"),
    ("rule", {"major": 4096}, "linux.resources.devices[1].major"),
])
def test_device_numbers_out_of_range(capsa, bundle, cid, where, value, path):
    c = bundle.config
    node = {"path": "/dev/x", "type": "c", "major": 1, "minor": 3, "fileMode": 0o666}
    rule = {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rw"}
    (node if where == "node" else rule).update(value)
    c["linux"]["devices"] = [node]
    c["linux"]["resources"]["devices"].append(rule)
    bundle.helper("open", "/dev/kmsg", "w").write()
    h.create_fails(capsa, bundle, cid, path + ": value %d out of range" % list(value.values())[0])
