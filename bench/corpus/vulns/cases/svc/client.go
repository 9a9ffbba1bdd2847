package svc

import (
	"crypto/tls"
	"net/http"
)

func Client() *http.Client {
	transport := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	return &http.Client{Transport: transport}
}
