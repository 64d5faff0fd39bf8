"""Pickles for the tests of Mimir's pickle reader, written by Python itself.

  pickle_fixtures.py write DIR   writes DIR/value-p{0,1,2}.pickle and DIR/value.json (the same value as JSON,
                                 tuples as {"tuple": [...]}, dicts as {"dict": [[key, value], ...]})
  pickle_fixtures.py summarize LOG
                                 loads an original Mimir cluster creation log (Python 2, protocol 0) as the
                                 original's Python 3 users would (encoding='latin1') and prints, per second
                                 with entries, the entries as [second, name, ip, sign, namespace, kind, labels, status]"""
import json
import pickle
import sys


def tagged(value):
    if isinstance(value, tuple):
        return {"tuple": [tagged(v) for v in value]}
    if isinstance(value, list):
        return [tagged(v) for v in value]
    if isinstance(value, dict):
        return {"dict": [[tagged(k), tagged(v)] for k, v in value.items()]}
    return value


VALUE = {
    0: {"wwwppp-wordpress-665fb57b9d-6qpkv": ("172.17.0.12", "+", "default", "pod", "app=wwwppp-wordpress,release=wwwppp", "Running"),
        "kube-dns": ("10.96.0.10", "+", "kube-system", "svc", "k8s-app=kube-dns", "10.96.0.10")},
    1: {},
    7986: {"zürich-\u263a-pod": ("fd00::7", "-", "ns", "pod", "<none>", "Terminating")},
    2 ** 40: [None, True, False, -1, -129, 255, 65536, -2 ** 31, 2 ** 62, 1.5, -0.25, "quote ' and \" and \\ and \n", (), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)],
}

if sys.argv[1] == "write":
    directory = sys.argv[2]
    for protocol in (0, 1, 2):
        with open(f"{directory}/value-p{protocol}.pickle", "wb") as out:
            pickle.dump(VALUE, out, protocol=protocol)
    with open(f"{directory}/value.json", "w") as out:
        json.dump(tagged(VALUE), out)
elif sys.argv[1] == "summarize":
    with open(sys.argv[2], "rb") as log:
        seconds = pickle.load(log, encoding="latin1")
    rows = []
    for second in sorted(seconds):
        for name, entry in seconds[second].items():
            rows.append([second, name] + list(entry))
    print(json.dumps(rows))
