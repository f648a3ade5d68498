/**
 * Connection letters as an A4 PDF: 1, 2 or 8 per page (8: two columns of four, with dashed cut
 * lines). Each letter: the ENT's name, the person, class and school, the login and the code (as
 * `abcd-efgh`, easier to copy), its expiry, the activation address and its QR code (vector
 * rectangles), and the instructions for a pupil or an adult.
 *
 * A stream: pages are drawn as the reader asks for them, so the letters of a whole school are
 * never one buffer. Deterministic: the same letters and options give the same bytes (the
 * document's dates are `issuedOn`).
 */
import { Readable } from 'node:stream';
import type { Letter } from '../../auth/connection-letters.js';
import { formatActivationCode } from '../../identity/activation-code.js';
import { InvariantBroken } from '../../shared/errors.js';
import { letterFonts, type FontChoice, type LetterFonts } from './fonts.js';
import { instructionsFor, LABELS } from './french.js';
import { qrDrawing, type QrDrawing } from './qr.js';

export type LettersPerPage = 1 | 2 | 8;

export interface LetterOptions {
  perPage: LettersPerPage;
  /** Printed at the top of every letter, and in the document's title. */
  entName: string;
  /** Where the code is typed: printed, and in the QR code. */
  activationUrl: string;
  /** The letters' date, and the document's creation date. */
  issuedOn: Date;
  /** Default `system` (DejaVu when installed, else Helvetica). */
  fonts?: FontChoice;
}

/** A4 in points. */
const PAGE = { width: 595.28, height: 841.89 };

/** Sizes in points; the smallest text, on 8 per page, is 7 pt. */
interface Format {
  columns: number;
  rows: number;
  /** Blank around the grid: what printers cannot print. */
  margin: number;
  /** Inside a letter, from its cut line. */
  padding: number;
  /** Side of the QR code, quiet zone excluded. */
  qr: number;
  /** Between blocks of text. */
  gap: number;
  size: { ent: number; name: number; text: number; key: number; small: number };
}

const FORMATS: Record<LettersPerPage, Format> = {
  1: { columns: 1, rows: 1, margin: 0, padding: 64, qr: 160, gap: 18, size: { ent: 20, name: 26, text: 14, key: 17, small: 11 } },
  2: { columns: 1, rows: 2, margin: 0, padding: 42, qr: 120, gap: 10, size: { ent: 14, name: 18, text: 11, key: 14, small: 9 } },
  8: { columns: 2, rows: 4, margin: 14, padding: 12, qr: 56, gap: 4, size: { ent: 8.5, name: 10, text: 7.5, key: 9, small: 7 } },
};

const GRAY = '#555555';
const CUT_LINE = '#999999';
/** Line height as a share of the font size (pdfkit's own, with lineGap 0). */
const LEADING = 1.2;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

type Doc = PDFKit.PDFDocument;

/** Draws the letters one page at a time; each page is written out before the next is drawn. */
class LetterPages {
  private readonly format: Format;
  private readonly qr: QrDrawing;

  constructor(private readonly doc: Doc, private readonly fonts: LetterFonts, private readonly options: LetterOptions) {
    this.format = FORMATS[options.perPage];
    this.qr = qrDrawing(options.activationUrl);
  }

  page(letters: Letter[]): void {
    const { columns, rows, margin } = this.format;
    const width = (PAGE.width - 2 * margin) / columns;
    const height = (PAGE.height - 2 * margin) / rows;
    letters.forEach((letter, i) => {
      // Down the first column, then the second: a stack cut in two stays in order.
      const column = Math.floor(i / rows);
      const row = i % rows;
      this.letter(letter, { x: margin + column * width, y: margin + row * height, width, height });
    });
    this.cutLines(width, height);
  }

  private cutLines(width: number, height: number): void {
    const { columns, rows, margin } = this.format;
    if (columns * rows === 1) return;
    const doc = this.doc;
    doc.save().lineWidth(0.5).strokeColor(CUT_LINE).dash(3, { space: 3 });
    for (let c = 1; c < columns; c++) doc.moveTo(margin + c * width, margin).lineTo(margin + c * width, PAGE.height - margin).stroke();
    for (let r = 1; r < rows; r++) doc.moveTo(margin, margin + r * height).lineTo(PAGE.width - margin, margin + r * height).stroke();
    if (margin > 0) doc.rect(margin, margin, PAGE.width - 2 * margin, PAGE.height - 2 * margin).stroke();
    doc.undash().restore();
  }

  /**
   * Beside the QR code (top right): the ENT, the person, class and school. Below it, across the
   * letter: login, code, expiry, address, instructions. A long name or school is set smaller,
   * then cut; a long login or address smaller, not broken; the instructions smaller if the room
   * runs out.
   */
  private letter(letter: Letter, cell: Box): void {
    const { padding, qr, gap, size } = this.format;
    const fonts = this.fonts;
    const doc = this.doc;
    const left = cell.x + padding;
    const width = cell.width - 2 * padding;
    const bottom = cell.y + cell.height - padding;
    const module = qr / this.qr.size;
    // The padding is the QR code's quiet zone above and to its right; 4 modules are left blank
    // to its left and below.
    this.drawQr(left + width - qr, cell.y + padding, module);
    const besideQr = width - qr - 4 * module - gap;

    let y = cell.y + padding;
    const place = [letter.className === null ? null : LABELS.className(letter.className), letter.schoolName].filter((p) => p !== null).join(' – ');
    y = this.block(this.options.entName, { font: fonts.bold, size: size.ent, smallest: size.text, width: besideQr, lines: 1, left, y, bottom });
    y = this.block(LABELS.letterOf(this.options.issuedOn), { font: fonts.regular, size: size.small, width: besideQr, lines: 1, left, y, bottom, color: GRAY });
    y = this.block(`${letter.firstName} ${letter.lastName}`, { font: fonts.bold, size: size.name, smallest: size.small, width: besideQr, lines: 2, left, y: y + gap, bottom });
    if (place !== '') y = this.block(place, { font: fonts.regular, size: size.text, smallest: size.small, width: besideQr, lines: 2, left, y, bottom });

    y = Math.max(y + gap, cell.y + padding + qr + 4 * module);
    y = this.keyLine(LABELS.login, letter.login, { left, y, width, size: size.key, valueFont: fonts.mono });
    y = this.keyLine(LABELS.code, formatActivationCode(letter.code), { left, y, width, size: size.key, valueFont: fonts.mono });
    y = this.block(LABELS.validUntil(letter.expiresAt), { font: fonts.regular, size: size.text, width, lines: 1, left, y, bottom });
    y = this.keyLine(LABELS.address, this.options.activationUrl, { left, y, width, size: size.text, valueFont: fonts.regular });

    const instructions = instructionsFor(letter.profile);
    const paragraphs = [instructions.title, ...instructions.steps.map((step, i) => `${i + 1}. ${step}`), instructions.warning];
    const heightAt = (fontSize: number) => gap + gap / 2 + paragraphs.reduce((sum, p, i) =>
      sum + doc.font(i === 0 ? fonts.bold : fonts.regular).fontSize(fontSize).heightOfString(fonts.printable(p), { width, lineGap: 0 }), 0);
    const fontSize = heightAt(size.text) <= bottom - y ? size.text : size.small;
    y += gap;
    paragraphs.forEach((p, i) => {
      if (i === paragraphs.length - 1) y += gap / 2;
      y = this.block(p, { font: i === 0 ? fonts.bold : fonts.regular, size: fontSize, width, lines: 3, left, y, bottom });
    });
  }

  /**
   * One block of text at `y`, at most `lines` lines; returns the `y` below it. With `smallest`,
   * a text too long is set smaller, down to that size, before an ellipsis cuts it.
   */
  private block(value: string, at: { font: string; size: number; smallest?: number; width: number; lines: number; left: number; y: number; bottom: number; color?: string }): number {
    const doc = this.doc;
    const printed = this.fonts.printable(value);
    doc.font(at.font);
    let fontSize = at.size;
    const fits = (s: number) => doc.fontSize(s).heightOfString(printed, { width: at.width, lineGap: 0 }) <= at.lines * s * LEADING + 0.01;
    while (fontSize > (at.smallest ?? at.size) && !fits(fontSize)) fontSize = Math.max(at.smallest ?? at.size, fontSize - 0.5);
    const room = Math.min(at.lines * fontSize * LEADING, at.bottom - at.y);
    if (room < fontSize) return at.y;
    doc.fontSize(fontSize).fillColor(at.color ?? 'black').text(printed, at.left, at.y, { width: at.width, height: room, ellipsis: true, lineGap: 0 });
    return doc.y;
  }

  /**
   * `label` then `value` on one line, the value set smaller if needed (down to the smallest
   * size) rather than broken: a login or an address is copied character by character, and a
   * line broken at one of its hyphens would read as a hyphenation. Only a value too long even
   * then goes on its own line.
   */
  private keyLine(label: string, value: string, at: { left: number; y: number; width: number; size: number; valueFont: string }): number {
    const doc = this.doc;
    const smallest = this.format.size.small;
    const printed = this.fonts.printable(value);
    const labelWidth = doc.font(this.fonts.regular).fontSize(at.size).widthOfString(label);
    const valueWidthAt = (s: number) => doc.font(at.valueFont).fontSize(s).widthOfString(printed);
    const largestFitting = (room: number) => {
      let fontSize = at.size;
      while (fontSize > smallest && valueWidthAt(fontSize) > room) fontSize = Math.max(smallest, fontSize - 0.5);
      return fontSize;
    };
    // Both on the same baseline, whatever the value's size.
    const baseline = at.y + at.size;
    doc.font(this.fonts.regular).fontSize(at.size).fillColor('black').text(label, at.left, baseline, { baseline: 'alphabetic', lineBreak: false });
    const fontSize = largestFitting(at.width - labelWidth);
    if (valueWidthAt(fontSize) <= at.width - labelWidth) {
      doc.font(at.valueFont).fontSize(fontSize).text(printed, at.left + labelWidth, baseline, { baseline: 'alphabetic', lineBreak: false });
      return at.y + at.size * LEADING;
    }
    const below = at.y + at.size * LEADING;
    doc.font(at.valueFont).fontSize(largestFitting(at.width)).text(printed, at.left, below, { width: at.width, lineGap: 0 });
    return doc.y;
  }

  private drawQr(x: number, y: number, module: number): void {
    const doc = this.doc;
    for (const run of this.qr.runs) doc.rect(x + run.col * module, y + run.row * module, run.length * module, module);
    doc.fillColor('black').fill();
  }
}

/** The letters in pages, in order. */
function* pagesOf(letters: Letter[], perPage: number): Generator<Letter[]> {
  for (let i = 0; i < letters.length; i += perPage) yield letters.slice(i, i + perPage);
}

async function* render(letters: Letter[], options: LetterOptions): AsyncGenerator<Buffer> {
  const { fonts, files } = letterFonts(options.fonts ?? 'system');
  // Loaded on the first letters asked for: pdfkit and its fonts are 5 MiB of live heap that the
  // serving process would otherwise carry (and its garbage collector mark) for every request.
  const { default: PDFDocument } = await import('pdfkit');
  const doc = new PDFDocument({
    size: 'A4', margin: 0, autoFirstPage: false, lang: 'fr-FR', displayTitle: true,
    info: { Title: LABELS.title(options.entName), Author: options.entName, Subject: 'Identifiants et codes d’activation', Creator: 'ent-sso-hub', CreationDate: options.issuedOn },
  });
  for (const [name, file] of Object.entries(files)) doc.registerFont(name, file);
  const written: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => written.push(chunk));
  const ended = new Promise<void>((resolve, reject) => doc.once('end', resolve).once('error', reject));
  // Awaited only at the end: an error before then must not count as unhandled (the reader stopping early leaves it pending).
  ended.catch(() => undefined);
  /** What the document wrote until now: its stream hands chunks over once the current tick is done. */
  const take = async (): Promise<Buffer> => {
    await new Promise((resolve) => setImmediate(resolve));
    return Buffer.concat(written.splice(0));
  };

  const pages = new LetterPages(doc, fonts, options);
  for (const page of pagesOf(letters, options.perPage)) {
    doc.addPage();
    pages.page(page);
    const chunk = await take();
    if (chunk.length > 0) yield chunk;
  }
  doc.end();
  await ended;
  const last = await take();
  if (last.length > 0) yield last;
}

/** The letters, in the order given, as an A4 PDF stream. At least one letter. */
export function renderLetters(letters: Letter[], options: LetterOptions): Readable {
  if (letters.length === 0) throw new InvariantBroken('renderLetters needs at least one letter');
  return Readable.from(render(letters, options), { objectMode: false });
}
