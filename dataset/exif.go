package dataset

// EXIF orientation of JPEG files.
//
// Cameras store the sensor's pixels as read out and note in the EXIF tag
// 0x0112 how to turn them upright (1 = as stored … 8). PIL's open and
// torchvision ignore the tag, so by default so do we; DecodeOptions
// .ApplyOrientation applies it the way PIL's ImageOps.exif_transpose does.

import "encoding/binary"

// exifOrientation returns the orientation tag (1…8) of a JPEG file, or 1 when
// there is none or it cannot be read.
func exifOrientation(b []byte) int {
	// Walk the marker segments after SOI until the image data starts.
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return 1
		}
		marker := b[i+1]
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image
			return 1
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return 1
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation reads tag 0x0112 from IFD0 of a TIFF-structured EXIF block.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	ifd := int(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > len(t) {
		return 1
	}
	count := int(bo.Uint16(t[ifd:]))
	for e := range count {
		p := ifd + 2 + 12*e
		if p+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[p:]) == 0x0112 && bo.Uint16(t[p+2:]) == 3 { // SHORT
			if v := int(bo.Uint16(t[p+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// orient applies an EXIF orientation (ImageOps.exif_transpose's table).
func orient(m *Image, o int) *Image {
	switch o {
	case 2:
		return flipLeftRight(m)
	case 3:
		return transpose(m, rotate180)
	case 4:
		return flipTopBottom(m)
	case 5:
		return transpose(m, transposeDiag)
	case 6:
		return transpose(m, rotate270)
	case 7:
		return transpose(m, transverse)
	case 8:
		return transpose(m, rotate90)
	}
	return m
}
