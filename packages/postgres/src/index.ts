export type { Migration } from './migrations';
export { MIGRATIONS } from './migrations';
export type { PostgresStorage, PostgresStorageOptions } from './postgresStorage';
export { DEFAULT_SCHEMA, postgresStorage } from './postgresStorage';
export type { PGliteLike, PgClientLike, PgPoolLike, PgQueryConfig } from './queryable';
