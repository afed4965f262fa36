package ec2sim

import (
	"net/netip"
)

// parseCIDR parses an IPv4 CIDR block whose mask lies in [minBits, maxBits]
// and returns it in canonical (masked) form.
func parseCIDR(s string, minBits, maxBits int) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() || p.Bits() < minBits || p.Bits() > maxBits {
		return netip.Prefix{}, false
	}
	return p.Masked(), true
}

// within reports whether inner lies entirely inside outer.
func within(inner, outer netip.Prefix) bool {
	return outer.Bits() <= inner.Bits() && outer.Contains(inner.Addr())
}

// hostCount is the number of addresses in a block.
func hostCount(p netip.Prefix) int { return 1 << (32 - p.Bits()) }

// nthAddr returns the block's address at offset n.
func nthAddr(p netip.Prefix, n int) netip.Addr {
	a := p.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v += uint32(n)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
