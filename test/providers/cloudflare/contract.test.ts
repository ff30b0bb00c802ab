import { providerContract } from '../contract.js';
import { backend } from './backend.js';

providerContract(backend);
