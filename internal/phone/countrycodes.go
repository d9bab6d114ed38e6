package phone

import "strings"

// assignedCodes lists the country calling codes that ITU-T assigns
// (Recommendation E.164 and its list of assigned country codes) to a
// country, a territory or a network whose numbers can belong to a person,
// one world zone per line. Left out on purpose: spare and reserved codes,
// codes that were withdrawn (684, now +1 684), and the service codes that
// never reach a subscriber's phone: 800 (international freephone), 808
// (shared cost) and 979 (premium rate).
//
// Country codes form a prefix code: no code is the beginning of another,
// so the first prefix of one to three digits found here is the country
// code (TestCountryCodesPrefixFree checks it).
const assignedCodes = `
1
20 211 212 213 216 218 220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 235 236 237 238 239 240 241 242 243 244 245 246 247 248 249 250 251 252 253 254 255 256 257 258 260 261 262 263 264 265 266 267 268 269 27 290 291 297 298 299
30 31 32 33 34 350 351 352 353 354 355 356 357 358 359 36 370 371 372 373 374 375 376 377 378 380 381 382 383 385 386 387 389 39
40 41 420 421 423 43 44 45 46 47 48 49
500 501 502 503 504 505 506 507 508 509 51 52 53 54 55 56 57 58 590 591 592 593 594 595 596 597 598 599
60 61 62 63 64 65 66 670 672 673 674 675 676 677 678 679 680 681 682 683 685 686 687 688 689 690 691 692
7
81 82 84 850 852 853 855 856 86 870 878 880 881 882 883 886 888
90 91 92 93 94 95 960 961 962 963 964 965 966 967 968 970 971 972 973 974 975 976 977 98 992 993 994 995 996 998
`

// serviceCodes are assigned codes that are refused with their own reason.
var serviceCodes = map[string]string{
	"800": "international freephone",
	"808": "international shared-cost service",
	"979": "international premium-rate service",
}

var countryCodes = func() map[string]bool {
	m := make(map[string]bool)
	for _, c := range strings.Fields(assignedCodes) {
		m[c] = true
	}
	return m
}()

// splitCountryCode splits international digits (without '+') into the
// country code and the rest. ok is false when no assigned code starts the
// digits. A service code is returned with ok false and its description.
func splitCountryCode(digits string) (cc, rest, service string, ok bool) {
	for n := 1; n <= 3 && n <= len(digits); n++ {
		p := digits[:n]
		if countryCodes[p] {
			return p, digits[n:], "", true
		}
		if s, found := serviceCodes[p]; found {
			return p, digits[n:], s, false
		}
	}
	return "", "", "", false
}
