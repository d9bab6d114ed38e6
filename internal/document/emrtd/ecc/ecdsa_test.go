package ecc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"math/big"
	"testing"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wycheproofVectors are known answers: valid signatures from Wycheproof
// (github.com/C2SP/wycheproof, testvectors_v1/ecdsa_<curve>_<hash>_test.json,
// test groups with tcId 1-8) and, for brainpoolP192r1, which Wycheproof
// does not cover, one made with OpenSSL 3.0.19 (an independent
// implementation; SHA-256 over a 192-bit order also exercises the hash
// truncation). Public key as an uncompressed point, message, DER signature.
var wycheproofVectors = []struct {
	name  string
	curve *Curve
	hash  func() hash.Hash
	key   string
	msg   string
	sig   string
}{
	{"brainpoolP192r1 OpenSSL", BrainpoolP192r1, sha256.New,
		"04bc7df08fc8e93938c810717b20184ebf6987f02519a26e0ea9c64d71507ec0254e6318e19780eb5202b3f66bd5934794",
		"6e6574696420627261696e706f6f6c503139327231206b6e6f776e20616e73776572",
		"30350219008f85b8cc726258bbedb33b9d56dc35c767c75e4e79a175c40218214371e1b89877d1ce9832f48544c132551cb1227c3d2c47"},
	{"brainpoolP224r1 tc1", BrainpoolP224r1, sha256.New224,
		"04b554fc25e9f098eaf1466c35328c97305d0d4aa0e4462e8baf7a8e7ed08fc40eb01dc855577baea9e3070770616f57b17ea9854cad93881a",
		"", "303e021d00b982bea80d10816bb450a3faaaed4ed54fb197b3bff95af25d7d3786021d009e6ea2e58713f1304d29debf8559a74a89e018bae28b05556e5482a1"},
	{"brainpoolP224r1 tc2", BrainpoolP224r1, sha256.New224,
		"04b554fc25e9f098eaf1466c35328c97305d0d4aa0e4462e8baf7a8e7ed08fc40eb01dc855577baea9e3070770616f57b17ea9854cad93881a",
		"4d7367", "303c021c4dabc5fe962b5f8a6681e94a2165d9b6be1940f20e27ceb73fc4ea7d021c746e9bba7efb90fcecc263c229a16d809d3547c28a26cd71a52abdc5"},
	{"brainpoolP224r1 tc8", BrainpoolP224r1, sha256.New224,
		"04572eab7376d052dfc40923db25342ea9cbfce4b8581e104a4c8f37c94a700ec5dc05a481b2b695320c6f1ad2dd8628633cdb75a91245c265",
		"313233343030", "303e021d00cb68ac9765c7641785df237e9951e1429581879af2631460048961d3021d00c424bc85ebd52fa505423a442a8443238658ca3b7c39bace3f3d5110"},
	{"brainpoolP256r1 tc1", BrainpoolP256r1, sha256.New,
		"042676bd1e3fd83f3328d1af941442c036760f09587729419053083eb61d1ed22c2cf769688a5ffd67da1899d243e66bcabe21f9e78335263bf5308b8e41a71b39",
		"", "30440220745be1da902d19c76c8f57d4a1f3362b4b20ed7c8de8fc0463d566795f979cea02205916c317a1e325b53735216a0fa37737f08b32245c88084817b468a41f5afee9"},
	{"brainpoolP256r1 tc4", BrainpoolP256r1, sha256.New,
		"042676bd1e3fd83f3328d1af941442c036760f09587729419053083eb61d1ed22c2cf769688a5ffd67da1899d243e66bcabe21f9e78335263bf5308b8e41a71b39",
		"0000000000000000000000000000000000000000", "3044022044a811b2321acbc65cacf80d2dbe848946f1dac528f3e1ae38b0e54d083c258f022055d7edfaecdda3bbc062d5074e3c3719d32761159d027ca27c1725ddbd62f688"},
	{"brainpoolP256r1 tc6", BrainpoolP256r1, sha256.New,
		"04019a2d9637743a63ddaefdbca0ee229a163b809b9b145e5313bbeb8defeab9d6548caf89bf5ba49499404145651234336401b9b2843a579ed152e090f11b9e59",
		"313233343030", "304402200a5f8c70ba2d0842d5d0f841f160ad15195769a8159bfe692634d73d469d111f0220678cd260f4aeb211a781388fdd48478007cf43d32b736de019916ce1c0737c39"},
	{"brainpoolP320r1 tc1", BrainpoolP320r1, sha512.New384,
		"0444ab2320c2297b66114428df33fe641956f82033893398af3b49b0023179201c27d26dd65121c06e0c59524c938f19daffc2a9a4679dba7cf1991ced4700592bb75e98cf77dbf6c584c2f72735152921",
		"", "30540229009cf7f0d60cc1fb2d4b3e78d5f83b374e17a4aebccc6e723f1ad35babb2acfb2b75530389189395f802271110c5b8b8e5fa8dc7952a7bf6200bddae6c1d66639a07a4b6046e00bfa7a2bd9d5777b80c3a92"},
	{"brainpoolP320r1 tc7", BrainpoolP320r1, sha512.New384,
		"040fcc8860cb26e262ca8b4ecb9c52f78d82a10a1d30dd0c8ecd7584ce80dbb75c488a062b643755001f27e676c26cd3488c1ef4ec3edd88cf8af78daf9036724b57e66da02cf7c676a53664becdfedc3b",
		"313233343030", "305502290085b1bc586bf5407f9c8ec3765fe02bd19380998c45892ccd5081a1bd8872a26cdaf403e6dbf34a6e02285020e0be8664e256392c7a119f901c2acf390e5a7ab60f9d9b0b60f87348c05d7ea5a396785e5af5"},
	{"brainpoolP384r1 tc6", BrainpoolP384r1, sha512.New384,
		"04192ed5ce547d2336911d3f6cecba227f08df077f6242a9147a914e854e6e32d325fd23ccc42921dc4a7e4c2eb71defd3631e69079ba982e7a1cad0a39eff47fc6d6e3a280d081286b624886ba1f3069671ec1a29986d84fb79736d2799e6fc21",
		"313233343030", "306402300e8e114a1c351405560bf8d47b166bfe957087a8003b353433b6144f7ee7d6f79c8dd14ef229fa7a2f2782bf33708b910230090ea2de1d5c671a15cb3fe184889f4439b99cc37b82cb0618df9b8c0fa5f611e6a80f13cbac0f921c0ea6ed6dadeb41"},
	{"brainpoolP384r1 tc5", BrainpoolP384r1, sha512.New384,
		"04192ed5ce547d2336911d3f6cecba227f08df077f6242a9147a914e854e6e32d325fd23ccc42921dc4a7e4c2eb71defd3631e69079ba982e7a1cad0a39eff47fc6d6e3a280d081286b624886ba1f3069671ec1a29986d84fb79736d2799e6fc21",
		"313233343030", "306502300e8e114a1c351405560bf8d47b166bfe957087a8003b353433b6144f7ee7d6f79c8dd14ef229fa7a2f2782bf33708b9102310083aa7ba485dc060df9922f9ccc5da29adb75d44671d18bad0636d2e09c5e2f95e892a79b9fd3b37e1f798b157b567a24"},
	{"brainpoolP512r1 tc6", BrainpoolP512r1, sha512.New,
		"0467cea1bedf84cbdcba69a05bb2ce3a2d1c9d911d236c480929a16ad697b45a6ca127079fe8d7868671e28ef33bdf9319e2e51c84b190ac5c91b51baf0a980ba500a7e79006194b5378f65cbe625ef2c47c64e56040d873b995b5b1ebaa4a6ce971da164391ff619af3bcfc71c5e1ad27ee0e859c2943e2de8ef7c43d3c976e9b",
		"313233343030", "30818402400bd2593447cc6c02caf99d60418dd42e9a194c910e6755ed0c7059acac656b04ccfe1e8348462ee43066823aee2fed7ca012e9890dfb69866d7ae88b6506f9c7024066297ab3f5564b25270455d2689fd6b6076515606db7ebeefc91f709dca7ace18e51086e7a1f8c2e85ad79a052959077c58d4140cdf3cb60ec3b22e00cf194f8"},
	{"P-384 tc1", P384, sha512.New384,
		"0429bdb76d5fa741bfd70233cb3a66cc7d44beb3b0663d92a8136650478bcefb61ef182e155a54345a5e8e5e88f064e5bc9a525ab7f764dad3dae1468c2b419f3b62b9ba917d5e8c4fb1ec47404a3fc76474b2713081be9db4c00e043ada9fc4a3",
		"", "3064023032401249714e9091f05a5e109d5c1216fdc05e98614261aa0dbd9e9cd4415dee29238afbd3b103c1e40ee5c9144aee0f02304326756fb2c4fd726360dd6479b5849478c7a9d054a833a58c1631c33b63c3441336ddf2c7fe0ed129aae6d4ddfeb753"},
	{"P-384 tc7", P384, sha512.New384,
		"042da57dda1089276a543f9ffdac0bff0d976cad71eb7280e7d9bfd9fee4bdb2f20f47ff888274389772d98cc5752138aa4b6d054d69dcf3e25ec49df870715e34883b1836197d76f8ad962e78f6571bbc7407b0d6091f9e4d88f014274406174f",
		"313233343030", "3065023012b30abef6b5476fe6b612ae557c0425661e26b44b1bfe19daf2ca28e3113083ba8e4ae4cc45a0320abd3394f1c548d7023100e7bf25603e2d07076ff30b7a2abec473da8b11c572b35fc631991d5de62ddca7525aaba89325dfd04fecc47bff426f82"},
	{"P-256 tc1", P256, sha256.New,
		"0404aaec73635726f213fb8a9e64da3b8632e41495a944d0045b522eba7240fad587d9315798aaa3a5ba01775787ced05eaaf7b4e09fc81d6d1aa546e8365d525d",
		"", "3045022100b292a619339f6e567a305c951c0dcbcc42d16e47f219f9e98e76e09d8770b34a02200177e60492c5a8242f76f07bfe3661bde59ec2a17ce5bd2dab2abebdf89a62e2"},
	{"P-256 tc7", P256, sha256.New,
		"042927b10512bae3eddcfe467828128bad2903269919f7086069c8c4df6c732838c7787964eaac00e5921fb1498a60f4606766b3d9685001558d1a974e7341513e",
		"313233343030", "304502202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db"},
}

func TestWycheproofVectors(t *testing.T) {
	for _, tt := range wycheproofVectors {
		t.Run(tt.name, func(t *testing.T) {
			pub, err := ParsePoint(tt.curve, mustHex(t, tt.key))
			if err != nil {
				t.Fatalf("ParsePoint() = %v", err)
			}
			h := tt.hash()
			h.Write(mustHex(t, tt.msg))
			digest := h.Sum(nil)
			sig := mustHex(t, tt.sig)
			if !VerifyASN1(pub, digest, sig) {
				t.Fatalf("VerifyASN1() = false, want true")
			}
			// A one-bit change in any byte of the signature must fail. (One
			// bit per byte, rotating; the emrtd tests flip every bit of
			// real signatures.)
			for i := range sig {
				bit := i % 8
				sig[i] ^= 1 << bit
				if VerifyASN1(pub, digest, sig) {
					t.Errorf("VerifyASN1() with bit %d of byte %d flipped = true, want false", bit, i)
				}
				sig[i] ^= 1 << bit
			}
			digest[0] ^= 1
			if VerifyASN1(pub, digest, sig) {
				t.Errorf("VerifyASN1() of a different digest = true, want false")
			}
		})
	}
}

// TestWycheproofEdgeCases checks the Wycheproof invalid encodings from the
// same groups: BER variants, trailing data, missing leading zeros.
func TestWycheproofEdgeCases(t *testing.T) {
	pub, err := ParsePoint(BrainpoolP224r1, mustHex(t, "04572eab7376d052dfc40923db25342ea9cbfce4b8581e104a4c8f37c94a700ec5dc05a481b2b695320c6f1ad2dd8628633cdb75a91245c265"))
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum224(mustHex(t, "313233343030"))
	for _, sig := range []string{
		// tc6, tc7: a leading zero missing (negative integers).
		"303d021ccb68ac9765c7641785df237e9951e1429581879af2631460048961d3021d00c424bc85ebd52fa505423a442a8443238658ca3b7c39bace3f3d5110",
		"303d021d00cb68ac9765c7641785df237e9951e1429581879af2631460048961d3021cc424bc85ebd52fa505423a442a8443238658ca3b7c39bace3f3d5110",
		// tc9: long-form length of the sequence.
		"30813e021d00cb68ac9765c7641785df237e9951e1429581879af2631460048961d3021d00c424bc85ebd52fa505423a442a8443238658ca3b7c39bace3f3d5110",
		// tc26: appended zeros.
		"303e021d00cb68ac9765c7641785df237e9951e1429581879af2631460048961d3021d00c424bc85ebd52fa505423a442a8443238658ca3b7c39bace3f3d51100000",
		// tc21: indefinite length.
		"3080021d00cb68ac9765c7641785df237e9951e1429581879af2631460048961d3021d00c424bc85ebd52fa505423a442a8443238658ca3b7c39bace3f3d5110",
		"", "30",
	} {
		if VerifyASN1(pub, digest[:], mustHex(t, sig)) {
			t.Errorf("VerifyASN1(%s) = true, want false", sig)
		}
	}
}

// TestCrossCheckStdlib signs with crypto/ecdsa on the NIST curves and
// verifies with the generic code, and the reverse of a corrupted one.
func TestCrossCheckStdlib(t *testing.T) {
	for _, c := range []*Curve{P224, P256, P384, P521} {
		t.Run(c.Name, func(t *testing.T) {
			for i := 0; i < 4; i++ {
				priv, err := ecdsa.GenerateKey(c.Stdlib(), rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				point, err := priv.PublicKey.Bytes()
				if err != nil {
					t.Fatal(err)
				}
				pub, err := ParsePoint(c, point)
				if err != nil {
					t.Fatalf("ParsePoint() = %v", err)
				}
				digest := sha512.Sum512([]byte{byte(i)})
				sig, err := ecdsa.SignASN1(rand.Reader, priv, digest[:])
				if err != nil {
					t.Fatal(err)
				}
				if !VerifyASN1(pub, digest[:], sig) {
					t.Errorf("generic VerifyASN1() of a crypto/ecdsa signature = false, want true")
				}
				digest[0] ^= 0x80
				if got, want := VerifyASN1(pub, digest[:], sig), ecdsa.VerifyASN1(&priv.PublicKey, digest[:], sig); got != want || got {
					t.Errorf("VerifyASN1() of a wrong digest = %v (crypto/ecdsa %v), want false", got, want)
				}
			}
		})
	}
}

// signForTest is a textbook ECDSA signer for curves crypto/ecdsa does not
// support, used only to produce signatures for tests.
func signForTest(t testing.TB, c *Curve, d *big.Int, digest []byte) (r, s *big.Int) {
	t.Helper()
	for {
		k, err := rand.Int(rand.Reader, c.N)
		if err != nil {
			t.Fatal(err)
		}
		if k.Sign() == 0 {
			continue
		}
		x, _, ok := c.ScalarBaseMult(k)
		if !ok {
			continue
		}
		r = new(big.Int).Mod(x, c.N)
		if r.Sign() == 0 {
			continue
		}
		e := hashToInt(digest, c.N)
		s = new(big.Int).Mul(r, d)
		s.Add(s, e)
		s.Mul(s, new(big.Int).ModInverse(k, c.N))
		s.Mod(s, c.N)
		if s.Sign() != 0 {
			return r, s
		}
	}
}

// TestSignVerifyEveryCurve covers brainpoolP192r1 (no published ECDSA
// vectors) and an unnamed explicit curve, and compressed public keys.
func TestSignVerifyEveryCurve(t *testing.T) {
	curves := append(NamedCurves(), unnamedCurve(t))
	for _, c := range curves {
		t.Run(c.String(), func(t *testing.T) {
			d, err := rand.Int(rand.Reader, new(big.Int).Sub(c.N, big.NewInt(1)))
			if err != nil {
				t.Fatal(err)
			}
			d.Add(d, big.NewInt(1))
			x, y, _ := c.ScalarBaseMult(d)
			pub := &PublicKey{Curve: c, X: x, Y: y}
			compressed := append([]byte{byte(2 + y.Bit(0))}, x.FillBytes(make([]byte, c.ByteSize()))...)
			parsed, err := ParsePoint(c, compressed)
			if err != nil || parsed.Y.Cmp(y) != 0 {
				t.Fatalf("ParsePoint(compressed) = %v, %v; want the same point", parsed, err)
			}
			digest := sha256.Sum256([]byte(c.String()))
			r, s := signForTest(t, c, d, digest[:])
			if !Verify(pub, digest[:], r, s) {
				t.Fatalf("Verify() = false, want true")
			}
			plain := append(r.FillBytes(make([]byte, (c.N.BitLen()+7)/8)), s.FillBytes(make([]byte, (c.N.BitLen()+7)/8))...)
			if !VerifyPlain(pub, digest[:], plain) {
				t.Errorf("VerifyPlain() = false, want true")
			}
			if Verify(pub, digest[:], s, r) {
				t.Errorf("Verify() with r and s swapped = true, want false")
			}
			if Verify(pub, digest[:], new(big.Int).Add(r, c.N), s) {
				t.Errorf("Verify() with r + n = true, want false")
			}
		})
	}
}

func TestParsePointRejects(t *testing.T) {
	c := BrainpoolP256r1
	good := append(append([]byte{4}, c.Gx.FillBytes(make([]byte, 32))...), c.Gy.FillBytes(make([]byte, 32))...)
	offCurve := append([]byte(nil), good...)
	offCurve[len(offCurve)-1] ^= 1
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"infinity", []byte{0}},
		{"off curve", offCurve},
		{"short", good[:40]},
		{"wrong tag", append([]byte{5}, good[1:]...)},
	} {
		if _, err := ParsePoint(c, tt.data); err == nil {
			t.Errorf("ParsePoint(%s) = nil error, want an error", tt.name)
		}
	}
	if _, err := ParsePoint(c, good); err != nil {
		t.Errorf("ParsePoint(G) = %v, want nil", err)
	}
	_ = elliptic.P256 // crypto/elliptic is the reference for the NIST curves
}

func BenchmarkVerify(b *testing.B) {
	for _, c := range []*Curve{BrainpoolP256r1, BrainpoolP384r1, BrainpoolP512r1} {
		b.Run(c.Name, func(b *testing.B) {
			d := big.NewInt(123456789)
			x, y, _ := c.ScalarBaseMult(d)
			pub := &PublicKey{Curve: c, X: x, Y: y}
			digest := sha256.Sum256([]byte("x"))
			r, s := signForTest(b, c, d, digest[:])
			b.ResetTimer()
			for b.Loop() {
				if !Verify(pub, digest[:], r, s) {
					b.Fatal("verify failed")
				}
			}
		})
	}
}
