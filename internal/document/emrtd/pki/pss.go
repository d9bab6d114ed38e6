package pki

import (
	"bytes"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"math/big"
)

// verifyPSS is RSASSA-PSS-VERIFY (RFC 8017 section 8.1.2) with
// EMSA-PSS-VERIFY (section 9.1.2) for any message hash, MGF1 hash and salt
// length, including the combinations crypto/rsa cannot express. hashed is
// the message hash mHash.
func verifyPSS(pub *rsa.PublicKey, p *PSSParameters, hashed, sig []byte) error {
	modBits := pub.N.BitLen()
	k := (modBits + 7) / 8
	if len(sig) != k {
		return errors.New("signature length")
	}
	// RSAVP1: m = s^e mod n, with s < n.
	s := new(big.Int).SetBytes(sig)
	if s.Cmp(pub.N) >= 0 {
		return errors.New("signature representative out of range")
	}
	m := new(big.Int).Exp(s, big.NewInt(int64(pub.E)), pub.N)
	emBits := modBits - 1
	emLen := (emBits + 7) / 8
	if (m.BitLen()+7)/8 > emLen {
		return errors.New("encoded message too long")
	}
	em := m.FillBytes(make([]byte, emLen))

	hLen, sLen := p.Hash.Size, p.SaltLength
	if len(hashed) != hLen || emLen < hLen+sLen+2 {
		return errors.New("inconsistent")
	}
	if em[emLen-1] != 0xbc {
		return errors.New("trailer byte")
	}
	maskedDB := em[:emLen-hLen-1]
	h := em[emLen-hLen-1 : emLen-1]
	topBits := uint(8*emLen - emBits)
	if maskedDB[0]>>(8-topBits) != 0 {
		return errors.New("leftmost bits not zero")
	}
	db := mgf1(p.MGF1Hash, h, len(maskedDB))
	for i := range db {
		db[i] ^= maskedDB[i]
	}
	db[0] &= 0xff >> topBits
	ps := emLen - hLen - sLen - 2
	for _, b := range db[:ps] {
		if b != 0 {
			return errors.New("padding not zero")
		}
	}
	if db[ps] != 0x01 {
		return errors.New("separator byte")
	}
	salt := db[len(db)-sLen:]
	mp := make([]byte, 0, 8+hLen+sLen)
	mp = append(mp, make([]byte, 8)...)
	mp = append(mp, hashed...)
	mp = append(mp, salt...)
	if !bytes.Equal(p.Hash.Sum(mp), h) {
		return errors.New("hash mismatch")
	}
	return nil
}

// mgf1 is MGF1 (RFC 8017 appendix B.2.1) with digest d.
func mgf1(d *Digest, seed []byte, length int) []byte {
	out := make([]byte, 0, length+d.Size)
	var counter [4]byte
	for i := uint32(0); len(out) < length; i++ {
		binary.BigEndian.PutUint32(counter[:], i)
		h := d.New()
		h.Write(seed)
		h.Write(counter[:])
		out = h.Sum(out)
	}
	return out[:length]
}
