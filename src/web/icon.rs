//! The site's icon: a rounded square in the accent colour with a white
//! "m", drawn once from the shapes below as an SVG (`/static/icon.svg`)
//! and as a 32×32 `favicon.ico` that is computed at compile time, so the
//! two cannot drift apart and no binary file sits in the repository.
//!
//! The ICO holds one 32-bit BMP image (an `ICONDIR`, one entry, a
//! `BITMAPINFOHEADER`, the BGRA pixels bottom-up, then the 1-bit AND
//! mask), which every browser and operating system reads.

/// The icon's edge in pixels, and the SVG's view box.
const SIZE: usize = 32;
/// Radius of the square's rounded corners.
const RADIUS: usize = 6;
/// The stylesheet's `--accent`.
const ACCENT: [u8; 3] = [0x7a, 0x1f, 0x5c];
/// The "m", as whole-pixel rectangles: `[x, y, width, height]`.
const GLYPH: [[usize; 4]; 4] = [[7, 9, 18, 4], [7, 9, 4, 15], [14, 9, 4, 15], [21, 9, 4, 15]];

const HEADER_BYTES: usize = 6 + 16;
const INFO_BYTES: usize = 40;
const PIXEL_BYTES: usize = SIZE * SIZE * 4;
/// One bit a pixel, each row padded to 32 bits.
const MASK_BYTES: usize = SIZE.div_ceil(32) * 4 * SIZE;
const IMAGE_BYTES: usize = INFO_BYTES + PIXEL_BYTES + MASK_BYTES;
const ICO_BYTES: usize = HEADER_BYTES + IMAGE_BYTES;

/// `GET /favicon.ico`'s body.
pub static FAVICON_ICO: [u8; ICO_BYTES] = favicon();

/// `GET /static/icon.svg`'s body.
pub fn svg() -> &'static str {
    static SVG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SVG.get_or_init(|| {
        let [r, g, b] = ACCENT;
        let glyph: String = GLYPH
            .iter()
            .map(|[x, y, w, h]| format!("<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\"/>"))
            .collect();
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {SIZE} {SIZE}\">\
             <rect width=\"{SIZE}\" height=\"{SIZE}\" rx=\"{RADIUS}\" fill=\"#{r:02x}{g:02x}{b:02x}\"/>\
             <g fill=\"#fff\">{glyph}</g></svg>\n"
        )
    })
}

/// How much of pixel (`x`, `y`) the rounded square covers, 0 to 16, from
/// a 4×4 grid of samples (so the corners are smoothed).
const fn coverage(x: usize, y: usize) -> u32 {
    // Sample positions in eighths of a pixel.
    const R: usize = RADIUS * 8;
    const FAR: usize = (SIZE - RADIUS) * 8;
    let mut covered = 0;
    let mut i = 0;
    while i < 16 {
        let sx = x * 8 + 1 + 2 * (i % 4);
        let sy = y * 8 + 1 + 2 * (i / 4);
        let dx = beyond(sx, R, FAR);
        let dy = beyond(sy, R, FAR);
        if dx * dx + dy * dy <= R * R {
            covered += 1;
        }
        i += 1;
    }
    covered
}

/// How far `s` lies outside `low..=high` (0 inside).
const fn beyond(s: usize, low: usize, high: usize) -> usize {
    if s < low { low - s } else { s.saturating_sub(high) }
}

const fn in_glyph(x: usize, y: usize) -> bool {
    let mut i = 0;
    while i < GLYPH.len() {
        let [gx, gy, w, h] = GLYPH[i];
        if x >= gx && x < gx + w && y >= gy && y < gy + h {
            return true;
        }
        i += 1;
    }
    false
}

const fn put_u16(out: &mut [u8; ICO_BYTES], at: usize, value: u16) {
    let bytes = value.to_le_bytes();
    out[at] = bytes[0];
    out[at + 1] = bytes[1];
}

const fn put_u32(out: &mut [u8; ICO_BYTES], at: usize, value: u32) {
    let bytes = value.to_le_bytes();
    let mut i = 0;
    while i < 4 {
        out[at + i] = bytes[i];
        i += 1;
    }
}

const fn favicon() -> [u8; ICO_BYTES] {
    let mut out = [0u8; ICO_BYTES];
    // ICONDIR: reserved, type 1 (icon), one image.
    put_u16(&mut out, 2, 1);
    put_u16(&mut out, 4, 1);
    // ICONDIRENTRY: 32×32, no palette, 1 plane, 32 bits, size, offset.
    out[6] = SIZE as u8;
    out[7] = SIZE as u8;
    put_u16(&mut out, 10, 1);
    put_u16(&mut out, 12, 32);
    put_u32(&mut out, 14, IMAGE_BYTES as u32);
    put_u32(&mut out, 18, HEADER_BYTES as u32);
    // BITMAPINFOHEADER; the height counts the pixels and the mask.
    let info = HEADER_BYTES;
    put_u32(&mut out, info, INFO_BYTES as u32);
    put_u32(&mut out, info + 4, SIZE as u32);
    put_u32(&mut out, info + 8, 2 * SIZE as u32);
    put_u16(&mut out, info + 12, 1);
    put_u16(&mut out, info + 14, 32);
    put_u32(&mut out, info + 20, (PIXEL_BYTES + MASK_BYTES) as u32);
    let pixels = info + INFO_BYTES;
    let mask = pixels + PIXEL_BYTES;
    let mask_row = MASK_BYTES / SIZE;
    let mut y = 0;
    while y < SIZE {
        // Rows are stored bottom-up.
        let row = SIZE - 1 - y;
        let mut x = 0;
        while x < SIZE {
            let at = pixels + (row * SIZE + x) * 4;
            let covered = coverage(x, y);
            let [r, g, b] = if in_glyph(x, y) { [0xff, 0xff, 0xff] } else { ACCENT };
            out[at] = b;
            out[at + 1] = g;
            out[at + 2] = r;
            out[at + 3] = (covered * 255 / 16) as u8;
            if covered == 0 {
                // Transparent for readers that ignore the alpha channel.
                out[mask + row * mask_row + x / 8] |= 0x80 >> (x % 8);
            }
            x += 1;
        }
        y += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u16_at(at: usize) -> u16 {
        u16::from_le_bytes([FAVICON_ICO[at], FAVICON_ICO[at + 1]])
    }

    fn u32_at(at: usize) -> u32 {
        u32::from_le_bytes(FAVICON_ICO[at..at + 4].try_into().unwrap())
    }

    /// BGRA of the pixel at (`x`, `y`), counted from the top left.
    fn pixel(x: usize, y: usize) -> [u8; 4] {
        let at = HEADER_BYTES + INFO_BYTES + ((SIZE - 1 - y) * SIZE + x) * 4;
        FAVICON_ICO[at..at + 4].try_into().unwrap()
    }

    #[test]
    fn the_ico_is_one_32_bit_image_of_32_by_32() {
        assert_eq!(FAVICON_ICO.len(), 4286);
        assert_eq!((u16_at(0), u16_at(2), u16_at(4)), (0, 1, 1));
        assert_eq!((FAVICON_ICO[6], FAVICON_ICO[7]), (32, 32));
        assert_eq!((u16_at(10), u16_at(12)), (1, 32));
        assert_eq!(u32_at(14) as usize + u32_at(18) as usize, FAVICON_ICO.len());
        assert_eq!((u32_at(22), u32_at(26), u32_at(30)), (40, 32, 64));
        // One plane, 32 bits a pixel, uncompressed.
        assert_eq!((u16_at(34), u16_at(36), u32_at(38)), (1, 32, 0));
    }

    #[test]
    fn the_ico_draws_the_same_shapes_as_the_svg() {
        // Corners are transparent (and masked), the middle of the square is
        // the accent colour, the glyph is white.
        assert_eq!(pixel(0, 0)[3], 0);
        assert_eq!(FAVICON_ICO[ICO_BYTES - MASK_BYTES] & 0x80, 0x80);
        assert_eq!(pixel(SIZE - 1, SIZE - 1)[3], 0);
        assert_eq!(pixel(3, 28), [0x5c, 0x1f, 0x7a, 0xff]);
        assert_eq!(pixel(8, 20), [0xff, 0xff, 0xff, 0xff]);
        assert_eq!(pixel(12, 20), [0x5c, 0x1f, 0x7a, 0xff], "between the stems");
        let edge = pixel(1, 1)[3];
        assert!(edge > 0 && edge < 0xff, "the corners are smoothed: {edge}");
        let svg = svg();
        assert!(svg.contains("fill=\"#7a1f5c\""), "{svg}");
        assert!(
            svg.contains("<rect x=\"14\" y=\"9\" width=\"4\" height=\"15\"/>"),
            "{svg}"
        );
    }
}
