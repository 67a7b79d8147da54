/** Seeds 1 to 50 of the simulator's faulty scenario (see scenario.ts); the other files run the rest in parallel. */
import { sweep } from './scenario.js'

sweep(1, 50)
