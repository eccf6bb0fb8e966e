"""Generative learners: the minimax GAN, WGAN-GP, FIGR (Reptile around WGAN-GP) and MetaGAN."""
