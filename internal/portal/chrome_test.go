package portal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// chromiumPath is Debian's chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// browserBudget bounds each browser test's use of the browser, so that a
// page that never loads fails the test instead of hanging the suite.
const browserBudget = 40 * time.Second

// browser is the one headless Chromium the browser tests share, started
// by the first test that needs it, with a fresh profile directory, and
// stopped by TestMain. Each test gets its own browser context (separate
// cookies, storage and downloads, as a fresh profile would have) in it:
// starting Chromium once rather than per test keeps the suite short.
var browser struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	dir    string
	err    error
}

func startBrowser() {
	browser.dir, browser.err = os.MkdirTemp("", "netid-chromium-")
	if browser.err != nil {
		return
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.UserDataDir(filepath.Join(browser.dir, "profile")),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	browser.ctx, browser.cancel = ctx, func() { cancelCtx(); cancelAlloc() }
	// The first action starts the browser and ties its life to the
	// context it runs on, so it runs on ctx itself; a start that hangs
	// is cut off by cancelling ctx.
	timer := time.AfterFunc(browserBudget, browser.cancel)
	browser.err = chromedp.Do(ctx)
	timer.Stop()
}

// TestMain stops the shared browser after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	if browser.dir != "" {
		os.RemoveAll(browser.dir)
	}
	os.Exit(code)
}

// chrome is one browser context of the shared Chromium, driving one tab.
type chrome struct {
	t   testing.TB
	ctx context.Context
	dir string // where downloads go
}

// newChrome opens a tab in a new browser context for t. Without Chromium
// the test is skipped, except in CI (CI=true), where it fails: the
// browser tests must not pass by testing nothing there.
func newChrome(t testing.TB) *chrome {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browser tests need %s (apt-get install chromium; .ci/run does): %v", chromiumPath, err)
		}
		t.Skipf("skipping the browser test: %s is missing (apt-get install chromium)", chromiumPath)
	}
	browser.once.Do(startBrowser)
	if browser.err != nil {
		t.Fatalf("starting %s: %v", chromiumPath, browser.err)
	}
	tab, cancelTab := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext())
	ctx, cancelBudget := context.WithTimeout(tab, browserBudget)
	t.Cleanup(func() { cancelBudget(); cancelTab() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	return &chrome{t: t, ctx: ctx, dir: t.TempDir()}
}

// acceptLanguage makes the tab send Accept-Language: lang, as a browser
// set up in that language does.
func (c *chrome) acceptLanguage(lang string) {
	c.t.Helper()
	if _, err := chromedp.Call(c.ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
		Headers: network.Headers{"Accept-Language": lang},
	}); err != nil {
		c.t.Fatalf("set Accept-Language: %v", err)
	}
}

// do runs actions and fails the test on error.
func (c *chrome) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	if err := chromedp.Do(c.ctx, actions...); err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
}

// open loads url and returns the HTTP status of the document.
func (c *chrome) open(url string) int64 {
	c.t.Helper()
	resp, err := chromedp.Run(c.ctx, chromedp.NavigateResponse(url))
	if err != nil {
		c.t.Fatalf("open %s: %v", url, err)
	}
	return resp.Status
}

// submit runs actions that end in a navigation (a click on a submit
// button, Enter in a form) and waits for the new page; it returns the
// final document's status (after redirects).
func (c *chrome) submit(what string, actions ...chromedp.Action[chromedp.Void]) int64 {
	c.t.Helper()
	resp, err := chromedp.RunResponse(c.ctx, actions...)
	if err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
	return resp.Status
}

// click clicks the element of a CSS selector and waits for the page it
// leads to.
func (c *chrome) click(sel string) int64 {
	c.t.Helper()
	return c.submit("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// fill types v into the (empty) field of a CSS selector.
func (c *chrome) fill(sel, v string) {
	c.t.Helper()
	// Clear the field first (a page shown again after an error keeps
	// what was typed), then type as a person does.
	c.do("fill "+sel, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).value = ""`, sel)),
		chromedp.SendKeys(chromedp.CSS(sel), v))
}

// text is the visible text of the first element of a CSS selector.
func (c *chrome) text(sel string) string {
	c.t.Helper()
	s, err := chromedp.Run(c.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		c.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// body is the page's visible text.
func (c *chrome) body() string {
	c.t.Helper()
	return c.eval(`document.body.innerText`)
}

// eval evaluates a JavaScript expression that yields a string.
func (c *chrome) eval(expr string) string {
	c.t.Helper()
	s, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		c.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return s
}

// location is the tab's URL.
func (c *chrome) location() string {
	c.t.Helper()
	s, err := chromedp.Run(c.ctx, chromedp.Location())
	if err != nil {
		c.t.Fatal(err)
	}
	return s
}

// has reports whether the page has an element matching a CSS selector.
func (c *chrome) has(sel string) bool {
	c.t.Helper()
	b, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q) !== null`, sel)))
	if err != nil {
		c.t.Fatal(err)
	}
	return b
}

// mustSee fails unless the page's text contains every one of want.
func (c *chrome) mustSee(want ...string) {
	c.t.Helper()
	body := c.body()
	for _, w := range want {
		if !strings.Contains(body, w) {
			c.t.Fatalf("page %s does not show %q; it shows:\n%s", c.location(), w, body)
		}
	}
}

// key presses one key (kb.Tab, kb.Enter, or a character) on the focused
// element.
func (c *chrome) key(k string) {
	c.t.Helper()
	c.do("press key", chromedp.KeyEvent(k))
}

// focused describes the focused element: its id, or its tag and text.
func (c *chrome) focused() string {
	c.t.Helper()
	return c.eval(`(function(){var e=document.activeElement;if(!e)return "";return e.id?("#"+e.id):(e.tagName.toLowerCase()+":"+e.textContent.trim());})()`)
}

// download clicks the element of a CSS selector, which must start a
// download, waits for the download to finish and returns the file's
// bytes.
func (c *chrome) download(sel string) []byte {
	c.t.Helper()
	dir := filepath.Join(c.dir, "downloads")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		c.t.Fatal(err)
	}
	yes := true
	if _, err := chromedp.Call(c.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &yes,
		BrowserContextID: chromedp.FromContext(c.ctx).BrowserContextID,
	}); err != nil {
		c.t.Fatalf("allow downloads: %v", err)
	}
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	progress := chromedp.Events(ctx, cdpbrowser.DownloadProgress)
	c.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
	for ev, err := range progress {
		if err != nil {
			c.t.Fatalf("download from %s: %v", sel, err)
		}
		switch ev.State {
		case cdpbrowser.DownloadProgressStateCompleted:
			b, err := os.ReadFile(filepath.Join(dir, ev.GUID))
			if err != nil {
				c.t.Fatal(err)
			}
			return b
		case cdpbrowser.DownloadProgressStateCanceled:
			c.t.Fatalf("download from %s was cancelled", sel)
		}
	}
	c.t.Fatalf("download from %s never finished", sel)
	return nil
}

// contrastFailures returns a line for every element with text of its own
// whose colour contrasts less than 4.5:1 with the background it is drawn
// on (the first opaque background up the tree; white at the top), as WCAG
// 2.x computes it.
func (c *chrome) contrastFailures() []string {
	c.t.Helper()
	const js = `(function(){
function rgb(s){var m=s.match(/rgba?\(([^)]+)\)/);if(!m)return null;var p=m[1].split(',').map(Number);return {r:p[0],g:p[1],b:p[2],a:p.length>3?p[3]:1};}
function lum(c){function ch(v){v/=255;return v<=0.03928?v/12.92:Math.pow((v+0.055)/1.055,2.4);}return 0.2126*ch(c.r)+0.7152*ch(c.g)+0.0722*ch(c.b);}
function bg(e){for(;e&&e.nodeType===1;e=e.parentElement){var c=rgb(getComputedStyle(e).backgroundColor);if(c&&c.a>=1)return c;}return {r:255,g:255,b:255,a:1};}
var out=[];
document.querySelectorAll('body *').forEach(function(e){
 var own=Array.prototype.some.call(e.childNodes,function(n){return n.nodeType===3&&n.textContent.trim()!=='';});
 if(!own)return; var r=e.getBoundingClientRect(); if(r.width===0||r.height===0)return;
 var fg=rgb(getComputedStyle(e).color),b=bg(e); var l1=lum(fg),l2=lum(b);
 var ratio=(Math.max(l1,l2)+0.05)/(Math.min(l1,l2)+0.05);
 if(ratio<4.5)out.push(e.tagName+' "'+e.textContent.trim().slice(0,40)+'": '+ratio.toFixed(2));
});
return JSON.stringify(out);})()`
	var out []string
	if err := json.Unmarshal([]byte(c.eval(js)), &out); err != nil {
		c.t.Fatal(err)
	}
	return out
}

// Keys the tests press.
const (
	keyTab   = kb.Tab
	keyEnter = kb.Enter
)
