//! Where a drawing sits on the page: a small drawing is brought to the middle and enlarged
//! before the sketch encoder sees it.
//!
//! A product photo's garment fills its frame, and so does every sketch the model trains on
//! (tracings of such photos, and free-hand drawings placed on the page as a garment sits in
//! a photo). A designer, though, may draw a small jacket in the top corner of the canvas;
//! the encoder, which never saw a garment that small or that far off centre, then finds the
//! wrong kind (on our free-hand evaluation drawings shrunk to 40 % and put in a corner,
//! category P@10 fell from 70.6 to 39.3; docs/model.md, "Where the drawing sits").
//!
//! [`frame_sketch`] undoes that: when the drawing's ink box is smaller than [`SMALL_SHARE`]
//! of the page on both sides, it is cut out, scaled (proportions kept) until its longer side
//! is [`FRAME_SHARE`] of the page, and centred on a white page of the same size. A drawing
//! larger than that is left exactly as it is, so tracings, page-filling drawings and a
//! drawing's size relative to the page (which tells garments apart: a skirt is smaller than a
//! dress) are kept. It is applied to every sketch the encoder sees: the app's and `arnet
//! search`'s queries, `arnet eval`'s sketches, and the trainer's sketches and free-hand
//! drawings, so training and searching agree.

use std::borrow::Cow;

use image::{Rgb, RgbImage, imageops};

/// A drawing is small when its ink box is under this share of the page on both axes.
pub const SMALL_SHARE: f32 = 0.4;

/// The share of the page a small drawing's longer side is scaled to. Both shares were chosen
/// on our free-hand evaluation set and the synthetic demo (docs/model.md, "Where the drawing
/// sits"): framing every drawing below 85 % to 85 % helped free-hand drawings most but cost
/// the synthetic demo, whose garments' sizes tell them apart, 10 points of Acc@1; below 50 %
/// to 75 %, 3.5 points and 3 of m@B (partial drawings grow); below 40 % to 70 %, half a point.
pub const FRAME_SHARE: f32 = 0.7;

/// A pixel is ink when its darkest channel is below this (sketches are dark on white;
/// antialiased edges and light pencil are well below it, paper grain above).
pub const INK_LEVEL: u8 = 200;

/// The most a drawing is enlarged: a dot or a short first stroke is not blown up to a page.
pub const MAX_ENLARGEMENT: f32 = 4.0;

/// The bounding box `[x0, y0, x1, y1]` (exclusive ends) of `image`'s ink, none when blank.
pub fn ink_box(image: &RgbImage) -> Option<[u32; 4]> {
    box_of(image, |pixel| {
        pixel.0.iter().min().is_some_and(|&v| v < INK_LEVEL)
    })
}

/// The bounding box `[x0, y0, x1, y1]` (exclusive ends) of the pixels `is_ink` picks, none
/// when it picks none.
pub fn box_of(image: &RgbImage, is_ink: impl Fn(&Rgb<u8>) -> bool) -> Option<[u32; 4]> {
    let mut bounds: Option<[u32; 4]> = None;
    for (x, y, pixel) in image.enumerate_pixels() {
        if is_ink(pixel) {
            let b = bounds.get_or_insert([x, y, x + 1, y + 1]);
            *b = [b[0].min(x), b[1].min(y), b[2].max(x + 1), b[3].max(y + 1)];
        }
    }
    bounds
}

/// `image` with a small drawing brought to the middle and enlarged (see the module); the
/// image itself, not copied, when the drawing fills [`SMALL_SHARE`] of the page or more, or
/// there is no ink.
pub fn frame_sketch(image: &RgbImage) -> Cow<'_, RgbImage> {
    let Some([x0, y0, x1, y1]) = ink_box(image) else {
        return Cow::Borrowed(image);
    };
    let (page_w, page_h) = image.dimensions();
    let (box_w, box_h) = (x1 - x0, y1 - y0);
    let share = (box_w as f32 / page_w as f32).max(box_h as f32 / page_h as f32);
    if share >= SMALL_SHARE {
        return Cow::Borrowed(image);
    }
    let scale = (FRAME_SHARE / share).min(MAX_ENLARGEMENT);
    let new_w = ((box_w as f32 * scale).round() as u32).clamp(1, page_w);
    let new_h = ((box_h as f32 * scale).round() as u32).clamp(1, page_h);
    let drawing = imageops::crop_imm(image, x0, y0, box_w, box_h).to_image();
    let drawing = imageops::resize(&drawing, new_w, new_h, imageops::FilterType::Triangle);
    let mut page = RgbImage::from_pixel(page_w, page_h, Rgb([255, 255, 255]));
    imageops::replace(
        &mut page,
        &drawing,
        i64::from((page_w - new_w) / 2),
        i64::from((page_h - new_h) / 2),
    );
    Cow::Owned(page)
}

/// [`frame_sketch`] on an owned image: the image itself when nothing changes.
pub fn frame_sketch_owned(image: RgbImage) -> RgbImage {
    let framed = match frame_sketch(&image) {
        Cow::Owned(framed) => Some(framed),
        Cow::Borrowed(_) => None,
    };
    framed.unwrap_or(image)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A white `w x h` page with a black rectangle outline over `[x0, x1) x [y0, y1)`.
    fn page_with_box(w: u32, h: u32, x0: u32, y0: u32, x1: u32, y1: u32) -> RgbImage {
        let mut page = RgbImage::from_pixel(w, h, Rgb([255, 255, 255]));
        for x in x0..x1 {
            page.put_pixel(x, y0, Rgb([0, 0, 0]));
            page.put_pixel(x, y1 - 1, Rgb([0, 0, 0]));
        }
        for y in y0..y1 {
            page.put_pixel(x0, y, Rgb([0, 0, 0]));
            page.put_pixel(x1 - 1, y, Rgb([0, 0, 0]));
        }
        page
    }

    #[test]
    fn a_small_drawing_in_a_corner_is_centred_and_enlarged_proportions_kept() {
        // 40 x 20 in the top-left corner of a 200 x 200 page.
        let page = page_with_box(200, 200, 5, 8, 45, 28);
        let framed = frame_sketch(&page);
        assert!(matches!(framed, Cow::Owned(_)));
        let [x0, y0, x1, y1] = ink_box(&framed).unwrap();
        // Longer side 70 % of the page, the other in proportion, centred.
        assert!(((x1 - x0) as i32 - 140).abs() <= 1, "{x0}..{x1}");
        assert!(((y1 - y0) as i32 - 70).abs() <= 1, "{y0}..{y1}");
        assert!(((x0 + x1) as i32 - 200).abs() <= 2 && ((y0 + y1) as i32 - 200).abs() <= 2);
        assert_eq!(framed.dimensions(), (200, 200));
    }

    #[test]
    fn a_page_filling_drawing_and_a_blank_page_are_left_as_they_are() {
        let filling = page_with_box(224, 224, 10, 20, 214, 200);
        assert!(matches!(frame_sketch(&filling), Cow::Borrowed(_)));
        // Half the page wide, off to one side: large enough to keep its size and place.
        let half = page_with_box(224, 224, 100, 30, 213, 90);
        assert!(matches!(frame_sketch(&half), Cow::Borrowed(_)));
        let blank = RgbImage::from_pixel(64, 64, Rgb([255, 255, 255]));
        assert!(matches!(frame_sketch(&blank), Cow::Borrowed(_)));
        // Light grey paper grain is not ink.
        let grain = RgbImage::from_pixel(64, 64, Rgb([230, 225, 235]));
        assert!(ink_box(&grain).is_none());
    }

    #[test]
    fn a_dot_is_not_blown_up_to_a_page() {
        let page = page_with_box(200, 200, 20, 20, 30, 30);
        let [x0, _, x1, _] = ink_box(&frame_sketch(&page)).unwrap();
        assert!(x1 - x0 <= 41, "enlarged at most four times: {}", x1 - x0);
    }

    #[test]
    fn a_wide_page_is_framed_on_its_own_proportions() {
        // A drawing a third of a 300 x 150 page's width and height: its larger share (1/3)
        // goes to 70 %, on the page's own axes.
        let page = page_with_box(300, 150, 0, 0, 100, 50);
        let [x0, y0, x1, y1] = ink_box(&frame_sketch(&page)).unwrap();
        assert!(((x1 - x0) as i32 - 210).abs() <= 1, "{x0}..{x1}");
        assert!(((y1 - y0) as i32 - 105).abs() <= 1, "{y0}..{y1}");
    }
}
