/**
 * The QR code of the activation address, drawn as vector rectangles (no image): the modules of
 * `qrcode.create(url)`, one rectangle per horizontal run of dark modules, which keeps the page's
 * content small (a few hundred rectangles per code, not a thousand squares).
 */
import QRCode from 'qrcode';

/** M: 15 % of the code may be damaged (a fold, a stain) and it still reads. */
export const QR_ERROR_CORRECTION = 'M';

/** `length` dark modules from (`row`, `col`) rightwards. */
export interface QrRun {
  row: number;
  col: number;
  length: number;
}

export interface QrDrawing {
  /** Modules per side (without the quiet zone, which the layout leaves blank around it). */
  size: number;
  runs: QrRun[];
}

/** The runs of dark modules of the QR code of exactly `url`, row by row. */
export function qrDrawing(url: string): QrDrawing {
  const { size, data } = QRCode.create(url, { errorCorrectionLevel: QR_ERROR_CORRECTION }).modules;
  const runs: QrRun[] = [];
  for (let row = 0; row < size; row++) {
    let col = 0;
    while (col < size) {
      if (!data[row * size + col]) {
        col += 1;
        continue;
      }
      const start = col;
      while (col < size && data[row * size + col]) col += 1;
      runs.push({ row, col: start, length: col - start });
    }
  }
  return { size, runs };
}
