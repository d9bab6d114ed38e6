package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/netid/netid/internal/wallet"
)

// QRFlow is the QR login across devices (RFC 8628 device grant): the
// platform starts a device authorization, an enrolled wallet approves it
// with its device key (what `netid wallet approve` does after scanning the
// QR code), and the platform redeems the device code and calls userinfo.
// Each worker plays one platform client and takes the wallets in turn.
type QRFlow struct {
	server   *url.URL
	rp       RP
	wallets  []*wallet.Wallet
	insecure bool
	addrs    *sourceAddrs
}

// NewQRFlow returns the QR login flow of the wallets at the platform rp.
func NewQRFlow(server string, rp RP, wallets []*wallet.Wallet, insecure bool) (*QRFlow, error) {
	u, err := CheckLoopback(server)
	if err != nil {
		return nil, err
	}
	if rp.ClientID == "" || rp.ClientSecret == "" {
		return nil, errors.New("loadtest: the qr flow needs a relying party: client id and secret")
	}
	if len(wallets) == 0 {
		return nil, errors.New("loadtest: the qr flow needs enrolled wallets")
	}
	return &QRFlow{server: u, rp: rp, wallets: wallets, insecure: insecure, addrs: newSourceAddrs(u)}, nil
}

// Name implements Flow.
func (f *QRFlow) Name() string { return "qr" }

// deviceGrant is the grant type of RFC 8628 section 3.4.
const deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"

// Worker implements Flow.
func (f *QRFlow) Worker(ctx context.Context, i, n int) (func(context.Context, int) error, error) {
	hc := newHTTPClient(f.addrs.addr(), 1, f.insecure)
	p, err := discover(ctx, hc, f.server)
	if err != nil {
		return nil, err
	}
	b := newBrowser(hc)
	auth := func(req *http.Request) {
		req.SetBasicAuth(url.QueryEscape(f.rp.ClientID), url.QueryEscape(f.rp.ClientSecret))
	}
	k := i
	return func(ctx context.Context, seq int) error {
		w := f.wallets[k%len(f.wallets)]
		k++
		// The platform starts the login and shows the QR code.
		a, err := b.do(ctx, "device authorization", http.MethodPost, f.server.String()+"/oidc/device_authorization",
			url.Values{"scope": {"openid"}}, auth)
		if err != nil {
			return err
		}
		if a.status != http.StatusOK {
			return unexpected("device authorization", a, "200 with a device code")
		}
		var da struct {
			DeviceCode string `json:"device_code"`
			UserCode   string `json:"user_code"`
		}
		if err := json.Unmarshal(a.body, &da); err != nil || da.DeviceCode == "" || da.UserCode == "" {
			return &StepError{Step: "device authorization", Kind: "unexpected answer", Detail: "no device or user code"}
		}
		// The wallet, another device at its own address (approval codes
		// are looked up under a per-address limit), scans it and
		// approves with its device key.
		whc := newHTTPClient(f.addrs.addr(), 1, f.insecure)
		defer whc.CloseIdleConnections()
		c, err := wallet.NewClient(f.server.String(), wallet.WithHTTPClient(whc))
		if err != nil {
			return err
		}
		ref, err := wallet.ParseApprovalRef(da.UserCode)
		if err != nil {
			return &StepError{Step: "approve", Kind: "wallet", Detail: err.Error()}
		}
		ap, err := wallet.FetchApproval(ctx, c, ref)
		if err != nil {
			return walletErr("fetch approval", err)
		}
		res, err := wallet.Answer(ctx, w, c, ref, ap, wallet.ApproveOptions{}, time.Now())
		if err != nil {
			return walletErr("approve", err)
		}
		if res.Status != "approved" {
			return &StepError{Step: "approve", Kind: "unexpected answer", Detail: "status " + res.Status}
		}
		// The platform's next poll gets the tokens.
		access, claims, err := b.tokens(ctx, p, f.rp, url.Values{"grant_type": {deviceGrant}, "device_code": {da.DeviceCode}})
		if err != nil {
			return err
		}
		return b.userinfo(ctx, p, access, claims.Sub)
	}, nil
}
