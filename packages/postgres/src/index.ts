export { postgresStorage, DEFAULT_SCHEMA } from './postgresStorage';
export type { PostgresStorage, PostgresStorageOptions } from './postgresStorage';
export type { PgPoolLike, PgClientLike, PGliteLike } from './queryable';
export { MIGRATIONS } from './migrations';
export type { Migration } from './migrations';
