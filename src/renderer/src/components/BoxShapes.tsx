import type Konva from 'konva';
import { memo, useEffect, useRef } from 'react';
import { Group, Label, Rect, Tag, Text, Transformer } from 'react-konva';
import { clampRect, isEditable } from '../viewer/boxes';
import type { BoxData, BoxSource } from '../viewer/types';

/** Sources differ by dash pattern and a text tag as well as colour: nothing is told by colour alone. */
export const BOX_STYLE: Record<BoxSource, { stroke: string; dash?: number[]; tag: string }> = {
  region: { stroke: '#ffb000', dash: [6, 4], tag: 'REG' },
  detector: { stroke: '#00d1ff', tag: 'DET' },
  reviewer: { stroke: '#ff4fd8', dash: [2, 3], tag: 'REV' },
};

/**
 * High contrast changes boxes and legend swatches alike: pure, saturated colours on black, still
 * one per source (with the dash patterns and tags) so the sources stay told apart.
 */
const HIGH_CONTRAST_STROKE: Record<BoxSource, string> = { region: '#ffff00', detector: '#00ffff', reviewer: '#ff40ff' };

export const boxStroke = (src: BoxSource, highContrast: boolean): string => (highContrast ? HIGH_CONTRAST_STROKE[src] : BOX_STYLE[src].stroke);

/** Caption size in screen pixels: follows the Large text setting. */
export const captionSize = (largeText: boolean): number => (largeText ? 17 : 13);

/** The visible part of the image, in image pixels: captions are kept inside it. */
export interface VisibleRect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * Where a caption goes (image pixels): above the box, or just inside its top when above would
 * leave the pane; shifted left when it would run off the right edge, right off the left edge.
 */
export function captionAt(b: BoxData, textWidth: number, textHeight: number, inv: number, view: VisibleRect | undefined): { x: number; y: number } {
  const w = textWidth * inv;
  const h = textHeight * inv;
  let x = b.rect.x;
  let y = b.rect.y - h - 2 * inv;
  // A box wholly off screen keeps its caption off screen too: a caption never names a box you cannot see.
  if (!view || b.rect.x > view.x1 || b.rect.x + b.rect.width < view.x0 || b.rect.y > view.y1 || b.rect.y + b.rect.height < view.y0) return { x, y };
  if (y < view.y0) y = Math.max(view.y0, b.rect.y) + 2 * inv;
  if (y + h > view.y1) y = view.y1 - h;
  if (x + w > view.x1) x = view.x1 - w;
  if (x < view.x0) x = view.x0;
  return { x, y };
}

/** `nameOf` gives a class's name in the UI language (the pack's `ko` name); reviewer labels pass through. */
export function boxCaption(b: BoxData, nameOf: (label: string) => string = (l) => l): string {
  // A reviewed model box says so in text (✓ accepted, ✕ rejected), never by colour alone.
  const mark = b.decision === 'accept' ? ' ✓' : b.decision === 'reject' ? ' ✕' : '';
  return `${BOX_STYLE[b.source].tag} ${b.source === 'reviewer' ? b.label : nameOf(b.label)}${b.score !== undefined ? ` ${b.score.toFixed(2)}` : ''}${mark}`;
}

interface Props {
  boxes: BoxData[];
  scale: number;
  imageW: number;
  imageH: number;
  selected?: string;
  /** The model box focused for a one-key review (J / K, Y / F): drawn thicker, no handles. */
  focused?: string;
  highContrast: boolean;
  largeText?: boolean;
  view?: VisibleRect;
  nameOf?: (label: string) => string;
  onSelect(id: string | undefined): void;
  onHover(b: BoxData | undefined, evt?: { x: number; y: number }): void;
  onChange(id: string, rect: BoxData['rect']): void;
}

export const BoxShapes = memo(function BoxShapes({ boxes, scale, imageW, imageH, selected, focused, highContrast, largeText = false, view, nameOf, onSelect, onHover, onChange }: Props) {
  const tr = useRef<Konva.Transformer>(null);
  const group = useRef<Konva.Group>(null);
  useEffect(() => {
    const node = selected ? group.current?.findOne(`#box-${selected}`) : undefined;
    tr.current?.nodes(node ? [node] : []);
    tr.current?.getLayer()?.batchDraw();
  }, [selected, boxes]);
  const inv = 1 / scale;
  return (
    <Group ref={group}>
      {boxes.map((b) => {
        const st = BOX_STYLE[b.source];
        const stroke = boxStroke(b.source, highContrast);
        const editable = isEditable(b);
        const size = captionSize(largeText);
        const text = boxCaption(b, nameOf);
        // Bold sans at ~0.62 em per character, plus the tag's padding: close enough to keep it in the pane.
        const at = captionAt(b, text.length * size * 0.62 + 8, size + 6, inv, view);
        return (
          <Group key={b.id}>
            <Rect
              id={`box-${b.id}`}
              name={editable ? 'box-editable' : 'box'}
              x={b.rect.x}
              y={b.rect.y}
              width={b.rect.width}
              height={b.rect.height}
              stroke={stroke}
              // Transparent fill makes the whole box hoverable (and grabbable when editable).
              fill="rgba(0,0,0,0)"
              strokeWidth={b.id === selected || b.id === focused ? 3 : 2}
              strokeScaleEnabled={false}
              dash={st.dash}
              draggable={editable}
              onMouseEnter={(e) => onHover(b, { x: e.evt.offsetX, y: e.evt.offsetY })}
              onMouseLeave={() => onHover(undefined)}
              onMouseDown={(e) => {
                if (editable) {
                  e.cancelBubble = true;
                  onSelect(b.id);
                }
              }}
              onDragEnd={(e) => onChange(b.id, clampRect({ ...b.rect, x: e.target.x(), y: e.target.y() }, imageW, imageH))}
              onTransformEnd={(e) => {
                const n = e.target;
                const rect = clampRect({ x: n.x(), y: n.y(), width: n.width() * n.scaleX(), height: n.height() * n.scaleY() }, imageW, imageH);
                n.scaleX(1);
                n.scaleY(1);
                onChange(b.id, rect);
              }}
            />
            {/* On a dark tag: readable over any image or heatmap colour. */}
            <Label x={at.x} y={at.y} scaleX={inv} scaleY={inv} listening={false} name="box-caption">
              <Tag fill={highContrast ? '#000' : 'rgba(0,0,0,0.72)'} stroke={highContrast ? stroke : undefined} strokeWidth={highContrast ? 1 : 0} cornerRadius={2} />
              <Text text={text} fontSize={size} fontStyle="bold" fill={stroke} padding={3} />
            </Label>
          </Group>
        );
      })}
      <Transformer ref={tr} rotateEnabled={false} keepRatio={false} ignoreStroke flipEnabled={false} anchorSize={9} />
    </Group>
  );
});
