//! Keyboard shortcuts, read once per frame into [`Action`]s.
//!
//! None fires while a text field has keyboard focus: there Ctrl+Z, Ctrl+Y, P, E, [ and ] belong
//! to the text (an earlier version undid a stroke while the user typed a path). The focus
//! checked is the previous frame's, which is the one the keystrokes were typed into.
//!
//! | keys                      | does                         |
//! |---------------------------|------------------------------|
//! | Ctrl+Z                    | undo                         |
//! | Ctrl+Shift+Z, Ctrl+Y      | redo                         |
//! | Ctrl+O                    | open a sketch image          |
//! | Ctrl+S                    | save the sketch as PNG       |
//! | P / E                     | pen / eraser                 |
//! | [ / ]                     | thinner / thicker pen        |
//! | Esc                       | close the result window      |

use egui::{Key, Modifiers};

use crate::panels::Action;
use crate::panels::tools::Tool;

/// Factor one press of `[` or `]` changes the pen width by.
pub const WIDTH_STEP: f32 = 1.25;

/// The shortcuts pressed this frame, consumed from the input (none while a text field has
/// focus).
pub fn read(ctx: &egui::Context) -> Vec<Action> {
    if ctx.text_edit_focused() {
        return Vec::new();
    }
    ctx.input_mut(|input| {
        let mut actions = Vec::new();
        // Most specific first: consume_key ignores extra Shift.
        let shift_command = Modifiers::COMMAND | Modifiers::SHIFT;
        if input.consume_key(shift_command, Key::Z) || input.consume_key(Modifiers::COMMAND, Key::Y)
        {
            actions.push(Action::Redo);
        }
        if input.consume_key(Modifiers::COMMAND, Key::Z) {
            actions.push(Action::Undo);
        }
        if input.consume_key(Modifiers::COMMAND, Key::O) {
            actions.push(Action::ChooseSketchToOpen);
        }
        if input.consume_key(Modifiers::COMMAND, Key::S) {
            actions.push(Action::ChooseSketchToSave);
        }
        if input.consume_key(Modifiers::NONE, Key::P) {
            actions.push(Action::SetTool(Tool::Pen));
        }
        if input.consume_key(Modifiers::NONE, Key::E) {
            actions.push(Action::SetTool(Tool::Eraser));
        }
        if input.consume_key(Modifiers::NONE, Key::OpenBracket) {
            actions.push(Action::ScalePenWidth(1.0 / WIDTH_STEP));
        }
        if input.consume_key(Modifiers::NONE, Key::CloseBracket) {
            actions.push(Action::ScalePenWidth(WIDTH_STEP));
        }
        if input.consume_key(Modifiers::NONE, Key::Escape) {
            actions.push(Action::Dismiss);
        }
        actions
    })
}
