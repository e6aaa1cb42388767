/**
 * Every review action and layer toggle as a keyboard shortcut. One table feeds both the handler
 * and the shortcut sheet (?), so the sheet can never disagree with what the keys do.
 */
import type { MessageKey } from './i18n';
import { useAppStore } from './state/appStore';
import { useReviewStore } from './state/reviewStore';
import { useViewerStore } from './state/viewerStore';
import { nudge } from './viewer/boxes';
import type { BoxData, BoxSource } from './viewer/types';
import { fitViewport, zoomAt } from './viewer/viewport';
import type { PresetId } from './viewer/voi';
import { nextFlagged } from './review/batch';
import { compareWithCase } from './review/caseCache';
import { VIEWS } from './history/navStore';
import { decideBox } from './review/grounding';
import { useMeasureStore } from './viewer/measurements';
import { useMaskStore } from './mask/maskStore';

export interface Shortcut {
  keys: string;
  action: MessageKey;
  group: 'review' | 'layers' | 'image' | 'boxes' | 'app';
}

export const SHORTCUTS: Shortcut[] = [
  { keys: 'F5', action: 'inspect.run', group: 'review' },
  { keys: 'Shift+F5', action: 'batch.inspectAll', group: 'review' },
  { keys: 'A', action: 'review.accept', group: 'review' },
  { keys: 'R', action: 'review.reject', group: 'review' },
  { keys: 'U', action: 'review.uncertain', group: 'review' },
  { keys: 'O', action: 'review.override', group: 'review' },
  { keys: 'E', action: 'review.note', group: 'review' },
  { keys: 'N', action: 'review.next', group: 'review' },
  { keys: 'P', action: 'review.previous', group: 'review' },
  { keys: 'Shift+N', action: 'review.nextFlagged', group: 'review' },
  { keys: '1–9', action: 'shortcut.toggleLayer', group: 'layers' },
  { keys: 'L', action: 'shortcut.nextLayer', group: 'layers' },
  { keys: 'M', action: 'shortcut.colormap', group: 'layers' },
  { keys: 'T', action: 'layer.contour', group: 'layers' },
  { keys: '[ ]', action: 'layer.opacity', group: 'layers' },
  { keys: ', .', action: 'layer.threshold', group: 'layers' },
  { keys: 'Shift+1…5', action: 'shortcut.presets', group: 'image' },
  { keys: 'Shift+0', action: 'preset.default', group: 'image' },
  { keys: 'I', action: 'viewer.invert', group: 'image' },
  { keys: 'Space', action: 'shortcut.reset', group: 'image' },
  { keys: '+ −', action: 'shortcut.zoom', group: 'image' },
  { keys: '↑ ↓ / wheel', action: 'shortcut.frames', group: 'image' },
  { keys: 'Shift+←↑→↓', action: 'shortcut.pan', group: 'image' },
  { keys: 'V', action: 'tool.wl', group: 'image' },
  { keys: 'H', action: 'tool.pan', group: 'image' },
  { keys: 'X', action: 'shortcut.compare', group: 'image' },
  { keys: 'Shift+X', action: 'viewer.compareWith', group: 'image' },
  { keys: 'G', action: 'legend.hide', group: 'layers' },
  { keys: 'B', action: 'tool.box', group: 'boxes' },
  { keys: 'D', action: 'tool.length', group: 'image' },
  { keys: 'Q', action: 'tool.roi', group: 'image' },
  { keys: 'C', action: 'tool.ellipse', group: 'image' },
  { keys: 'F2', action: 'shortcut.relabel', group: 'boxes' },
  { keys: 'Del', action: 'shortcut.deleteBox', group: 'boxes' },
  { keys: '←↑→↓', action: 'shortcut.moveBox', group: 'boxes' },
  { keys: 'Alt+←↑→↓', action: 'shortcut.resizeBox', group: 'boxes' },
  { keys: 'J / K', action: 'shortcut.focusBox', group: 'boxes' },
  { keys: 'Y', action: 'shortcut.acceptBox', group: 'boxes' },
  { keys: 'F', action: 'shortcut.rejectBox', group: 'boxes' },
  { keys: 'Esc', action: 'shortcut.escape', group: 'boxes' },
  { keys: '?', action: 'shortcut.sheet', group: 'app' },
  { keys: 'F6 / Shift+F6', action: 'shortcut.panels', group: 'app' },
  { keys: 'Alt+T', action: 'a11y.largeText', group: 'app' },
  { keys: 'Alt+C', action: 'a11y.highContrast', group: 'app' },
  { keys: 'Alt+K', action: 'shortcut.language', group: 'app' },
  // ViewSwitch handles Alt+1/2/3 (from anywhere, even in a text field) in VIEWS order; the rows follow it.
  ...VIEWS.map((v, i): Shortcut => ({ keys: `Alt+${i + 1}`, action: `shortcut.view.${v}`, group: 'app' })),
];

const PRESET_BY_DIGIT: Record<string, PresetId> = { Digit1: 'soft', Digit2: 'lung', Digit3: 'bone', Digit4: 'minmax', Digit5: 'auto', Digit0: 'default' };
const BOX_SOURCES: BoxSource[] = ['region', 'detector', 'reviewer'];

/** Toggleable layers in key order: heatmaps of the shown scene, then the box layers. */
export function layerKeys(): ({ kind: 'heatmap'; id: string } | { kind: 'mask'; id: string } | { kind: 'boxes'; source: BoxSource })[] {
  const v = useViewerStore.getState();
  const pane = v.panes[0];
  const maps = (pane && v.scenes[pane.sceneId]?.heatmaps) || [];
  const masks = (pane && useMaskStore.getState().masks[pane.sceneId]) || [];
  return [...maps.map((h) => ({ kind: 'heatmap' as const, id: h.id })), ...masks.map((m) => ({ kind: 'mask' as const, id: m.id })), ...BOX_SOURCES.map((source) => ({ kind: 'boxes' as const, source }))];
}

/**
 * The model boxes of the shown case a reviewer can accept or reject one by one (recorded runs'
 * boxes), in the order the findings panel lists them.
 */
export function reviewableBoxes(): BoxData[] {
  const v = useViewerStore.getState();
  const r = useReviewStore.getState();
  const caseId = r.cases[r.current]?.id;
  const scene = caseId ? v.scenes[caseId] : undefined;
  return (scene?.boxes ?? []).filter((b) => b.source !== 'reviewer' && b.runId !== undefined && b.index !== undefined);
}

/** J / K: the next / previous reviewable box, cycling; shown in the findings panel. */
function stepBoxFocus(step: 1 | -1): boolean {
  const boxes = reviewableBoxes();
  if (!boxes.length) return false;
  const v = useViewerStore.getState();
  const at = boxes.findIndex((b) => b.id === v.focusedBox);
  const next = boxes[at < 0 ? (step > 0 ? 0 : boxes.length - 1) : (at + step + boxes.length) % boxes.length]!;
  v.focusBox(next.id);
  document.querySelector(`[data-box-row="${CSS.escape(next.id)}"]`)?.scrollIntoView({ block: 'nearest' });
  return true;
}

/** Y / F: accept / reject the focused box (recorded against its run at once, as the ✓ / ✕ buttons do). */
function decideFocused(decision: 'accept' | 'reject'): boolean {
  const v = useViewerStore.getState();
  const caseId = useReviewStore.getState().cases[useReviewStore.getState().current]?.id;
  const b = reviewableBoxes().find((x) => x.id === v.focusedBox);
  if (!b || !caseId) return false;
  void decideBox(caseId, b, decision);
  return true;
}

/** The workstation's regions in Tab order: F6 moves between them as in desktop applications. */
const PANELS = ['.topbar', '.cases', '.viewer', '.findings'];

function cyclePanel(back: boolean): boolean {
  const regions = PANELS.map((sel) => document.querySelector<HTMLElement>(sel)).filter((x): x is HTMLElement => !!x);
  if (!regions.length) return false;
  const at = regions.findIndex((r) => r.contains(document.activeElement));
  const next = regions[(at + (back ? regions.length - 1 : 1) + regions.length) % regions.length]!;
  const first = next.querySelector<HTMLElement>('[data-testid="viewer-pane-0"], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex="0"]');
  (first ?? next).focus();
  return true;
}

function focusById(id: string) {
  const el = document.getElementById(id);
  if (el) {
    el.focus();
    return true;
  }
  return false;
}

/** Handles one keydown; returns true when it was a shortcut (the caller prevents the default). */
export function handleShortcut(e: KeyboardEvent, ui: { toggleSheet(): void; closeSheet(): boolean }): boolean {
  const target = e.target as HTMLElement | null;
  const typing = !!target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT' || target.isContentEditable);
  if (e.key === 'Escape') {
    if (ui.closeSheet()) return true;
    if (typing) {
      target!.blur();
      return true;
    }
    useViewerStore.getState().selectBox(undefined);
    useViewerStore.getState().focusBox(undefined);
    return true;
  }
  if (e.key === 'F6') return cyclePanel(e.shiftKey);
  if (typing || e.ctrlKey || e.metaKey) return false;
  const v = useViewerStore.getState();
  const r = useReviewStore.getState();
  const app = useAppStore.getState();
  const pane = v.panes[v.activePane];
  const scene = pane ? v.scenes[pane.sceneId] : undefined;
  const frame = scene?.frames[pane?.frameIndex ?? 0];
  const caseId = r.cases[r.current]?.id;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;

  if (e.altKey) {
    if (e.code === 'KeyT') app.setLargeText(!app.largeText);
    else if (e.code === 'KeyC') app.setHighContrast(!app.highContrast);
    else if (e.code === 'KeyK') app.setLocale(app.locale === 'en' ? 'ko' : 'en');
    else if (v.selectedBox && caseId && frame && e.key.startsWith('Arrow')) {
      const b = r.draftOf(caseId).boxes.find((x) => x.id === v.selectedBox);
      if (!b) return false;
      const step = Math.max(1, Math.round(4 / (pane?.viewport?.scale ?? 1)));
      const dw = e.key === 'ArrowRight' ? step : e.key === 'ArrowLeft' ? -step : 0;
      const dh = e.key === 'ArrowDown' ? step : e.key === 'ArrowUp' ? -step : 0;
      r.updateBox(caseId, b.id, { rect: { ...b.rect, width: Math.max(1, Math.min(frame.width - b.rect.x, b.rect.width + dw)), height: Math.max(1, Math.min(frame.height - b.rect.y, b.rect.height + dh)) } });
    } else return false;
    return true;
  }
  if (e.shiftKey && PRESET_BY_DIGIT[e.code]) {
    v.applyPreset(PRESET_BY_DIGIT[e.code]!);
    return true;
  }
  if (e.key === '?') {
    ui.toggleSheet();
    return true;
  }
  if (e.key.startsWith('Arrow')) {
    const dx = e.key === 'ArrowLeft' ? -1 : e.key === 'ArrowRight' ? 1 : 0;
    const dy = e.key === 'ArrowUp' ? -1 : e.key === 'ArrowDown' ? 1 : 0;
    if (v.selectedBox && caseId && frame) {
      const b = r.draftOf(caseId).boxes.find((x) => x.id === v.selectedBox);
      if (b) {
        const step = Math.max(1, Math.round(4 / (pane?.viewport?.scale ?? 1)));
        r.updateBox(caseId, b.id, { rect: nudge(b.rect, dx * step, dy * step, frame.width, frame.height) });
        return true;
      }
    }
    if (e.shiftKey && pane?.viewport) {
      v.setViewport({ ...pane.viewport, x: pane.viewport.x - dx * 40, y: pane.viewport.y - dy * 40 });
      return true;
    }
    if (dy !== 0) {
      v.stepFrame(dy);
      return true;
    }
    return false;
  }
  if (/^[1-9]$/.test(e.key) && !e.shiftKey) {
    const layer = layerKeys()[Number(e.key) - 1];
    if (!layer) return false;
    if (layer.kind === 'heatmap') v.toggleLayer(layer.id);
    else if (layer.kind === 'mask') useMaskStore.getState().toggle(layer.id);
    else v.toggleBoxLayer(layer.source);
    return true;
  }
  const active = v.activeLayer ? v.layers[v.activeLayer] : undefined;
  switch (key) {
    case 'a':
      void r.decide('accept');
      return true;
    case 'r':
      void r.decide('reject');
      return true;
    case 'u':
      void r.decide('uncertain');
      return true;
    case 'o':
      return focusById('override-class');
    case 'e':
      return focusById('review-note');
    case 'n':
      if (e.shiftKey) {
        const i = nextFlagged();
        if (i < 0) return false;
        r.goTo(i);
        return true;
      }
      r.step(1);
      return true;
    case 'p':
      r.step(-1);
      return true;
    case 'i':
      v.toggleInvert();
      return true;
    case 'j':
      return stepBoxFocus(1);
    case 'k':
      return stepBoxFocus(-1);
    case 'y':
      return decideFocused('accept');
    case 'f':
      return decideFocused('reject');
    case ' ':
    case 'Spacebar':
      v.resetView();
      return true;
    case 'v':
      v.setTool('wl');
      return true;
    case 'h':
      v.setTool('pan');
      return true;
    case 'b':
      v.setTool(v.tool === 'box' ? 'wl' : 'box');
      return true;
    case 'd':
      v.setTool(v.tool === 'length' ? 'wl' : 'length');
      return true;
    case 'q':
      v.setTool(v.tool === 'roi' ? 'wl' : 'roi');
      return true;
    case 'c':
      v.setTool(v.tool === 'ellipse' ? 'wl' : 'ellipse');
      return true;
    case 'x':
      if (e.shiftKey) {
        // The next case of the queue beside this one (cycling); linked zoom/pan keeps them aligned.
        const shownId = v.panes[1]?.sceneId;
        const others = r.cases.filter((c) => c.id !== caseId);
        if (!others.length) return false;
        const at = others.findIndex((c) => c.id === shownId);
        void compareWithCase(others[(at + 1) % others.length]!).catch((err) => app.setError({ code: 'COMPARE_FAILED', message: String(err) }));
        return true;
      }
      if (v.panes.length > 1) v.closeCompare();
      else if ((scene?.heatmaps.length ?? 0) >= 2) v.compareLayers();
      else v.compareWith(undefined);
      return true;
    case 'l': {
      const maps = scene?.heatmaps ?? [];
      if (!maps.length) return false;
      const i = maps.findIndex((h) => h.id === v.activeLayer);
      v.setActiveLayer(maps[(i + 1) % maps.length]!.id);
      return true;
    }
    case 'g':
      v.toggleLegend();
      return true;
    case 'm':
      v.cycleColormap();
      return true;
    case 't':
      if (v.activeLayer && active) v.setLayer(v.activeLayer, { contour: !active.contour });
      return !!active;
    case '[':
    case ']':
      if (v.activeLayer && active) v.setLayer(v.activeLayer, { opacity: Math.max(0, Math.min(1, Math.round((active.opacity + (key === ']' ? 0.1 : -0.1)) * 10) / 10)) });
      return !!active;
    case ',':
    case '.':
      if (v.activeLayer && active) v.setLayer(v.activeLayer, { threshold: Math.max(0, Math.min(1, Math.round((active.threshold + (key === '.' ? 0.05 : -0.05)) * 100) / 100)) });
      return !!active;
    case '+':
    case '=':
    case '-':
      if (pane?.viewport) {
        const el = document.querySelector(`[data-testid="viewer-pane-${v.activePane}"]`);
        const w = el?.clientWidth ?? 0;
        const h = el?.clientHeight ?? 0;
        v.setViewport(zoomAt(pane.viewport, key === '-' ? 1 / 1.25 : 1.25, w / 2, h / 2));
      }
      return true;
    case '0':
      if (frame) {
        const el = document.querySelector(`[data-testid="viewer-pane-${v.activePane}"]`);
        v.setViewport(fitViewport(frame.width, frame.height, el?.clientWidth ?? 800, el?.clientHeight ?? 600));
      }
      return true;
    case 'F5':
      document.getElementById(e.shiftKey ? 'inspect-all' : 'inspect-run')?.click();
      return true;
    case 'F2':
      return v.selectedBox ? focusById(`box-label-${v.selectedBox}`) : false;
    case 'Delete':
    case 'Backspace':
      if (v.selectedBox && caseId) {
        r.deleteBox(caseId, v.selectedBox);
        v.selectBox(undefined);
        return true;
      }
      if (v.tool === 'length' || v.tool === 'roi' || v.tool === 'ellipse') {
        // With a measuring tool on, Delete takes back the shown frame's last measurement.
        const pane = v.panes[v.activePane];
        const m = useMeasureStore.getState();
        const last = pane && m.items.filter((x) => x.sceneId === pane.sceneId && x.frameIndex === pane.frameIndex).pop();
        if (last) {
          m.remove(last.id);
          return true;
        }
      }
      return false;
  }
  return false;
}
