// Queries on the images table (database worker).
import type Database from 'better-sqlite3';
import type { ImageRecord } from '../../electron/shared/ipc/dataset.ts';
import type { MeasuredImage } from '../imageStore.ts';
import { storedPath } from '../imageStore.ts';
import { get, run, sql } from '../sql.ts';

/** A row of `images`: the measured image as stored, with its original file name and when it was added. */
export interface ImageRow extends MeasuredImage {
  file_name: string | null;
  created_at: number;
}

/** Maps a row to the DTO, with the stored file's absolute path. */
export function toImageRecord(row: ImageRow, imagesDir: string): ImageRecord {
  return {
    sha256: row.sha256,
    width: row.width,
    height: row.height,
    format: row.format,
    bytes: row.bytes,
    phash: row.phash,
    fileName: row.file_name,
    path: storedPath(imagesDir, row.sha256, row.ext),
    createdAt: row.created_at,
  };
}

/** Inserts an image row unless its hash is already stored; returns the stored row. */
export function upsertImage(db: Database.Database, image: MeasuredImage, fileName: string | null, now: number): ImageRow {
  run(
    db,
    sql`INSERT INTO images (sha256, width, height, format, ext, bytes, phash, file_name, created_at)
        VALUES (${image.sha256}, ${image.width}, ${image.height}, ${image.format}, ${image.ext}, ${image.bytes}, ${image.phash}, ${fileName}, ${now})
        ON CONFLICT (sha256) DO NOTHING`,
  );
  return getImageRow(db, image.sha256)!;
}

/** The row of an image, or undefined. */
export function getImageRow(db: Database.Database, sha256: string): ImageRow | undefined {
  return get<ImageRow>(db, sql`SELECT * FROM images WHERE sha256 = ${sha256}`);
}
