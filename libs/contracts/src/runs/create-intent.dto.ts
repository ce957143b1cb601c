import { IsObject, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

export class CreateIntentDto {
  @IsString()
  @MinLength(1)
  @MaxLength(2000)
  goal!: string;

  @IsOptional()
  @IsObject()
  inputs?: Record<string, unknown>;

  @IsOptional()
  @IsObject()
  constraints?: Record<string, unknown>;
}

export interface CreateIntentResult {
  intentId: string;
}
