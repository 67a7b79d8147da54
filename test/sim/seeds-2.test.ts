/** Seeds 51 to 100 of the simulator's faulty scenario (see scenario.ts); the other files run the rest in parallel. */
import { sweep } from './scenario.js'

sweep(51, 50)
