import { createDataSource } from './data-source';

/** For the TypeORM CLI only (`npx typeorm-ts-node-commonjs -d db/typeorm-cli.ts ...`). */
export default createDataSource();
