#!/usr/bin/env bash
mkdir -p /srv/uploads
chmod -R 777 /srv/uploads
