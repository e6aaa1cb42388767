import type Konva from 'konva';
import { memo, useEffect, useRef } from 'react';
import { Group, Rect, Text, Transformer } from 'react-konva';
import { clampRect, isEditable } from '../viewer/boxes';
import type { BoxData, BoxSource } from '../viewer/types';

/** Sources differ by dash pattern and a text tag as well as colour: nothing is told by colour alone. */
export const BOX_STYLE: Record<BoxSource, { stroke: string; dash?: number[]; tag: string }> = {
  region: { stroke: '#ffb000', dash: [6, 4], tag: 'REG' },
  detector: { stroke: '#00d1ff', tag: 'DET' },
  reviewer: { stroke: '#ff4fd8', dash: [2, 3], tag: 'REV' },
};

export function boxCaption(b: BoxData): string {
  return `${BOX_STYLE[b.source].tag} ${b.label}${b.score !== undefined ? ` ${b.score.toFixed(2)}` : ''}`;
}

interface Props {
  boxes: BoxData[];
  scale: number;
  imageW: number;
  imageH: number;
  selected?: string;
  highContrast: boolean;
  onSelect(id: string | undefined): void;
  onHover(b: BoxData | undefined, evt?: { x: number; y: number }): void;
  onChange(id: string, rect: BoxData['rect']): void;
}

export const BoxShapes = memo(function BoxShapes({ boxes, scale, imageW, imageH, selected, highContrast, onSelect, onHover, onChange }: Props) {
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
        const editable = isEditable(b);
        return (
          <Group key={b.id}>
            <Rect
              id={`box-${b.id}`}
              name={editable ? 'box-editable' : 'box'}
              x={b.rect.x}
              y={b.rect.y}
              width={b.rect.width}
              height={b.rect.height}
              stroke={highContrast ? '#ffff00' : st.stroke}
              // Transparent fill makes the whole box hoverable (and grabbable when editable).
              fill="rgba(0,0,0,0)"
              strokeWidth={b.id === selected ? 3 : 2}
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
            <Text
              x={b.rect.x}
              y={b.rect.y - 16 * inv}
              scaleX={inv}
              scaleY={inv}
              text={boxCaption(b)}
              fontSize={13}
              fontStyle="bold"
              fill={highContrast ? '#ffff00' : st.stroke}
              stroke="#000"
              strokeWidth={0.6}
              listening={false}
            />
          </Group>
        );
      })}
      <Transformer ref={tr} rotateEnabled={false} keepRatio={false} ignoreStroke flipEnabled={false} anchorSize={9} />
    </Group>
  );
});
