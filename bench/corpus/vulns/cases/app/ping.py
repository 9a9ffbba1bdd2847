import subprocess


def ping(host):
    return subprocess.call("ping -c 1 %s" % host, shell=True)
